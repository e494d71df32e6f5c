//! A [`Lock`] as the text of a pylock.toml, laid out as lockers write it (uv, pip lock):
//! top-level keys, then one `[[packages]]` table each, whose file entries are inline tables,
//! one per line. pip (26.1+) and uv read it; [`super::parse`] reads it back to the same model.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::{Lock, LockError};

/// The lock's text.
pub fn to_toml_string(lock: &Lock) -> Result<String, LockError> {
    let mut doc: DocumentMut =
        toml_edit::ser::to_document(lock).map_err(|e| LockError::Write(Box::new(e)))?;
    let root = doc.as_table_mut();
    let mut packages = ArrayOfTables::new();
    if let Some(Item::Value(Value::Array(array))) = root.remove("packages") {
        for value in array {
            if let Value::InlineTable(inline) = value {
                packages.push(package_table(inline.into_table()));
            }
        }
    }
    // `tool` after `packages`: every key after `[[packages]]` would belong to the last package.
    let tool = root.remove("tool");
    root.insert("packages", Item::ArrayOfTables(packages));
    if let Some(tool) = tool {
        root.insert("tool", table_item(tool));
    }
    // Top-level keys before the tables, in the model's order.
    let mut position = 0;
    for (_, item) in root.iter_mut() {
        if let Item::Value(_) = item {
            continue;
        }
        position += 1;
        if let Item::Table(t) = item {
            t.set_position(Some(position));
        }
    }
    Ok(doc.to_string())
}

/// A package: plain keys and inline tables, arrays of tables one entry per line, and `tool` as
/// its own `[packages.tool]` table.
fn package_table(mut table: Table) -> Table {
    for key in ["dependencies", "wheels", "attestation-identities"] {
        if let Some(Item::Value(Value::Array(array))) = table.get_mut(key) {
            let count = array.len();
            for (i, value) in array.iter_mut().enumerate() {
                value.decor_mut().set_prefix("\n    ");
                if i + 1 == count {
                    value.decor_mut().set_suffix("");
                }
            }
            if count > 0 {
                array.set_trailing(",\n");
                array.set_trailing_comma(false);
            }
        }
    }
    if let Some(tool) = table.remove("tool") {
        table.insert("tool", table_item(tool));
    }
    table.set_implicit(false);
    table
}

/// `tool`: a standard table, and each tool's table too (`[tool.NAME]`); deeper tables stay
/// inline.
fn table_item(item: Item) -> Item {
    let Item::Value(Value::InlineTable(inline)) = item else {
        return item;
    };
    let mut table = inline.into_table();
    table.set_implicit(true);
    for (_, sub) in table.iter_mut() {
        if let Item::Value(Value::InlineTable(inline)) = sub {
            let inner = std::mem::take(inline).into_table();
            *sub = Item::Table(inner);
        }
    }
    Item::Table(table)
}
