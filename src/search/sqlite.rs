//! The filter on SQLite, with PostgreSQL's `jsonb` semantics: documents are walked with
//! nested `json_each` scans whose keys and values are bound parameters (no JSON path text
//! is built from input). A node is a JSON value seen as (type, value): the `metadata`
//! column itself, or a row of a `json_each` scan, whose `value` is SQL text, number or
//! NULL for scalars and JSON text for arrays and objects.

use serde_json::Value;

use super::MetadataFilter;
use super::sql::Sql;

struct Node {
    ty: String,
    value: String,
}

impl Node {
    fn root(sql: &Sql) -> Self {
        let metadata = sql.column("metadata");
        Node {
            ty: format!("json_type({metadata})"),
            value: metadata,
        }
    }

    fn scan(alias: &str) -> Self {
        Node {
            ty: format!("{alias}.type"),
            value: format!("{alias}.value"),
        }
    }

    /// What to scan: the node's JSON text when it is a container, an empty array
    /// otherwise (`json_each` of a scalar's text would be malformed JSON).
    fn container(&self) -> String {
        format!(
            "(CASE WHEN {} IN ('object', 'array') THEN {} ELSE '[]' END)",
            self.ty, self.value
        )
    }
}

/// Appends the condition of `filter` on the `metadata` and `updated_at` columns.
pub(super) fn render(sql: &mut Sql, filter: &MetadataFilter) {
    let root = Node::root(sql);
    match filter {
        MetadataFilter::Contains(value) => contains(sql, &root, value),
        MetadataFilter::HasPath(path) => at_path(sql, &root, path, &mut |sql, _| {
            sql.push("1");
        }),
        MetadataFilter::PathEquals { path, value } => {
            at_path(sql, &root, path, &mut |sql, node| equals(sql, node, value))
        }
        MetadataFilter::PathIn { path, values } => at_path(sql, &root, path, &mut |sql, node| {
            if values.is_empty() {
                sql.push("0");
                return;
            }
            sql.push("(");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                equals(sql, node, value);
            }
            sql.push(")");
        }),
        MetadataFilter::UpdatedAfter(at) => {
            sql.push("(julianday(")
                .push_column("updated_at")
                .push(") > julianday(")
                .param(at.to_rfc3339())
                .push("))");
        }
        MetadataFilter::UpdatedBefore(at) => {
            sql.push("(julianday(")
                .push_column("updated_at")
                .push(") < julianday(")
                .param(at.to_rfc3339())
                .push("))");
        }
        MetadataFilter::All(filters) => sql.join(filters, " AND ", "1", render),
        MetadataFilter::Any(filters) => sql.join(filters, " OR ", "0", render),
        MetadataFilter::Not(filter) => {
            sql.push("(NOT ");
            render(sql, filter);
            sql.push(")");
        }
    }
}

/// The node at `path` below `node` exists and `leaf` holds for it. Object members are
/// matched by key; array elements by the position PostgreSQL's `#>` reads from the same
/// text ([`array_position`]), counting from the end when negative.
fn at_path(sql: &mut Sql, node: &Node, path: &[String], leaf: &mut dyn FnMut(&mut Sql, &Node)) {
    let Some((key, rest)) = path.split_first() else {
        leaf(sql, node);
        return;
    };
    let alias = sql.alias();
    let container = node.container();
    sql.push(&format!(
        "EXISTS (SELECT 1 FROM json_each({container}) {alias} WHERE (CASE WHEN {} = 'array' THEN ",
        node.ty
    ));
    match array_position(key) {
        Some(position) if position < 0 => sql
            .push(&format!("{alias}.key = json_array_length({container}) + "))
            .param(position),
        Some(position) => sql.push(&format!("{alias}.key = ")).param(position),
        None => sql.push("0"),
    };
    sql.push(&format!(" ELSE {alias}.key = "))
        .param(key.clone())
        .push(" END) AND ");
    at_path(sql, &Node::scan(&alias), rest, leaf);
    sql.push(")");
}

/// The array position a path element names, read as PostgreSQL reads it (C `strtol` into
/// an `int`): optional leading white space and sign, then only digits; `None` otherwise.
fn array_position(key: &str) -> Option<i64> {
    let trimmed = key.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let position: i64 = trimmed.strip_prefix('+').unwrap_or(trimmed).parse().ok()?;
    i32::try_from(position).ok().map(i64::from)
}

/// `node @> value`.
fn contains(sql: &mut Sql, node: &Node, value: &Value) {
    match value {
        Value::Object(map) => {
            sql.push(&format!("({} = 'object'", node.ty));
            for (key, inner) in map {
                let alias = sql.alias();
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM json_each({}) {alias} WHERE {alias}.key = ",
                    node.container()
                ))
                .param(key.clone())
                .push(" AND ");
                contains(sql, &Node::scan(&alias), inner);
                sql.push(")");
            }
            sql.push(")");
        }
        Value::Array(items) => {
            sql.push(&format!("({} = 'array'", node.ty));
            for item in items {
                let alias = sql.alias();
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM json_each({}) {alias} WHERE ",
                    node.container()
                ));
                contains(sql, &Node::scan(&alias), item);
                sql.push(")");
            }
            sql.push(")");
        }
        scalar => equals(sql, node, scalar),
    }
}

/// `node = value` as `jsonb` compares: by type and value, objects regardless of key order.
fn equals(sql: &mut Sql, node: &Node, value: &Value) {
    match value {
        Value::Null => {
            sql.push(&format!("({} = 'null')", node.ty));
        }
        Value::Bool(true) => {
            sql.push(&format!("({} = 'true')", node.ty));
        }
        Value::Bool(false) => {
            sql.push(&format!("({} = 'false')", node.ty));
        }
        Value::Number(number) => {
            sql.push(&format!(
                "({} IN ('integer', 'real') AND {} = ",
                node.ty, node.value
            ));
            match number.as_i64() {
                Some(int) => sql.param(int),
                None => sql.param(number.as_f64().unwrap_or(f64::NAN)),
            };
            sql.push(")");
        }
        Value::String(text) => {
            sql.push(&format!("({} = 'text' AND {} = ", node.ty, node.value))
                .param(text.clone())
                .push(")");
        }
        Value::Object(map) => {
            let container = node.container();
            sql.push(&format!(
                "({} = 'object' AND (SELECT count(*) FROM json_each({container})) = ",
                node.ty
            ))
            .param(map.len() as i64);
            for (key, inner) in map {
                let alias = sql.alias();
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM json_each({container}) {alias} WHERE {alias}.key = "
                ))
                .param(key.clone())
                .push(" AND ");
                equals(sql, &Node::scan(&alias), inner);
                sql.push(")");
            }
            sql.push(")");
        }
        Value::Array(items) => {
            let container = node.container();
            sql.push(&format!(
                "({} = 'array' AND json_array_length({container}) = ",
                node.ty
            ))
            .param(items.len() as i64);
            for (position, item) in items.iter().enumerate() {
                let alias = sql.alias();
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM json_each({container}) {alias} WHERE {alias}.key = "
                ))
                .param(position as i64)
                .push(" AND ");
                equals(sql, &Node::scan(&alias), item);
                sql.push(")");
            }
            sql.push(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::array_position;

    #[test]
    fn array_positions_are_read_as_postgresql_reads_them() {
        for (text, position) in [
            ("1", Some(1)),
            ("01", Some(1)),
            ("+1", Some(1)),
            (" 1", Some(1)),
            ("-1", Some(-1)),
            ("-0", Some(0)),
            ("1 ", None),
            ("1x", None),
            ("", None),
            ("-", None),
            ("99999999999", None),
            ("sku", None),
        ] {
            assert_eq!(array_position(text), position, "{text:?}");
        }
    }
}
