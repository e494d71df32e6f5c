//! PEP 751 markers name two sets PEP 508 has no variable for: `'NAME' in extras` and
//! `'NAME' in dependency_groups`. [`to_pep508`] rewrites them as `extra == ...` comparisons
//! (a group becomes the extra [`group_extra`] names), which a PEP 508 evaluator given the
//! extras and the groups as extras answers the same way.

#![deny(clippy::indexing_slicing)]

/// The extra a dependency group stands for in a rewritten marker.
pub fn group_extra(group: &str) -> String {
    format!("pyprov-dependency-group-{group}")
}

/// The marker with every `'X' [not] in extras|dependency_groups` rewritten; other text as is.
pub fn to_pep508(marker: &str) -> String {
    let chars: Vec<char> = marker.chars().collect();
    let mut out = String::with_capacity(marker.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\'' || c == '"' {
            if let Some(end) = (i + 1..chars.len()).find(|&j| chars.get(j) == Some(&c)) {
                let value: String = chars.get(i + 1..end).unwrap_or_default().iter().collect();
                if let Some((negated, set, after)) = membership(&chars, end + 1) {
                    let name = match set {
                        Set::Extras => value,
                        Set::Groups => group_extra(&value),
                    };
                    let op = if negated { "!=" } else { "==" };
                    out.push_str(&format!("extra {op} '{name}'"));
                    i = after;
                    continue;
                }
                out.extend(chars.get(i..=end).unwrap_or_default());
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

enum Set {
    Extras,
    Groups,
}

/// ` [not] in extras` (or `dependency_groups`) at `at`: whether negated, which set, and where
/// the text after it starts.
fn membership(chars: &[char], at: usize) -> Option<(bool, Set, usize)> {
    let mut i = skip_space(chars, at);
    let mut negated = false;
    if let Some(after) = word(chars, i, "not") {
        negated = true;
        i = skip_space(chars, after);
    }
    let after_in = word(chars, i, "in")?;
    let i = skip_space(chars, after_in);
    if let Some(end) = word(chars, i, "extras") {
        return Some((negated, Set::Extras, end));
    }
    word(chars, i, "dependency_groups").map(|end| (negated, Set::Groups, end))
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// `w` as a whole word at `i`: the index after it.
fn word(chars: &[char], i: usize, w: &str) -> Option<usize> {
    let end = i + w.chars().count();
    let found: String = chars.get(i..end)?.iter().collect();
    let boundary = chars
        .get(end)
        .is_none_or(|c| !(c.is_alphanumeric() || *c == '_'));
    (found == w && boundary).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_the_lock_sets_only() {
        assert_eq!(
            to_pep508("'socks' in extras and \"dev\" not in dependency_groups"),
            "extra == 'socks' and extra != 'pyprov-dependency-group-dev'"
        );
        assert_eq!(
            to_pep508("python_version >= '3.9' and sys_platform == 'linux'"),
            "python_version >= '3.9' and sys_platform == 'linux'"
        );
        assert_eq!(to_pep508("'a' in extrasx"), "'a' in extrasx");
        assert_eq!(to_pep508("'unclosed"), "'unclosed");
    }
}
