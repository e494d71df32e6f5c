//! Index logins from a `.netrc` file, found and read as pip finds and reads it (through
//! requests' `get_netrc_auth` and Python's `netrc` module, which the `rust-netrc` parser
//! translates): `$NETRC` if set, else `~/.netrc`, else `~/_netrc`; the host's `machine`, else
//! `default`; a file that does not parse gives no logins at all.

use std::path::PathBuf;

/// The logins of one `.netrc` file.
#[derive(Debug, Default)]
pub struct Logins(::netrc::Netrc);

/// A user name and password for HTTP basic authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub password: String,
}

impl Logins {
    /// The logins pip would use: none when there is no file, or it cannot be read or parsed
    /// (requests ignores such a file too).
    pub fn load() -> Logins {
        location()
            .and_then(|p| std::fs::read(p).ok())
            .map(|bytes| Logins::parse(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> Logins {
        Logins(text.parse().unwrap_or_default())
    }

    /// The login for `host`: its `machine` entry, else the `default` one. As requests does, an
    /// entry without a `login` names its user with `account`.
    pub fn for_host(&self, host: &str) -> Option<Login> {
        let hosts = &self.0.hosts;
        let entry = hosts.get(host).or_else(|| hosts.get("default"))?;
        let user = if entry.login.is_empty() {
            &entry.account
        } else {
            &entry.login
        };
        Some(Login {
            user: user.clone(),
            password: entry.password.clone(),
        })
    }
}

/// requests' search: `$NETRC` alone when it is set (with `~` expanded), else the first of
/// `~/.netrc` and `~/_netrc` that exists.
fn location() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(named) = std::env::var_os("NETRC") {
        let named = PathBuf::from(named);
        return Some(match (named.strip_prefix("~"), home) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ => named,
        });
    }
    let home = home?;
    [".netrc", "_netrc"]
        .into_iter()
        .map(|name| home.join(name))
        .find(|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(user: &str, password: &str) -> Option<Login> {
        Some(Login {
            user: user.into(),
            password: password.into(),
        })
    }

    #[test]
    fn machine_then_default() {
        let l = Logins::parse("machine a.example login u password p\ndefault login d password q\n");
        assert_eq!(l.for_host("a.example"), login("u", "p"));
        assert_eq!(l.for_host("b.example"), login("d", "q"));
        assert_eq!(Logins::parse("machine a login u").for_host("b"), None);
    }

    /// Python's `netrc`, which requests uses: quotes, comments, the last entry for a machine,
    /// `account` standing in for a missing login.
    #[test]
    fn read_as_python_reads_it() {
        let l = Logins::parse(
            "# logins\nmachine h login first password one\nmachine h login \"x y\" password \"p#w\" # note\nmachine acct account svc password k\n",
        );
        assert_eq!(l.for_host("h"), login("x y", "p#w"));
        assert_eq!(l.for_host("acct"), login("svc", "k"));
    }

    #[test]
    fn quoted_words_hold_any_text() {
        let l = Logins::parse("machine \"h\" login \"a \\\"b\\\\c\" password \"\"");
        assert_eq!(l.for_host("h"), login("a \"b\\c", ""));
    }

    #[test]
    fn a_file_that_does_not_parse_gives_no_logins() {
        let l = Logins::parse("machine h login u password p\nbogus token\n");
        assert_eq!(l.for_host("h"), None);
        assert_eq!(Logins::parse("").for_host("h"), None);
    }
}
