//! The filter on PostgreSQL: `@>` (served by the GIN `jsonb_path_ops` index), `#>` for
//! paths, `jsonb` equality. Every leaf is TRUE or FALSE, never NULL, so that `not` means
//! the same as on SQLite.

use super::MetadataFilter;
use super::sql::Sql;

/// Appends the condition of `filter` on the `metadata` and `updated_at` columns.
pub(super) fn render(sql: &mut Sql, filter: &MetadataFilter) {
    match filter {
        MetadataFilter::Contains(value) => {
            sql.push("(")
                .push_column("metadata")
                .push(" @> ")
                .param(value.clone())
                .push(")");
        }
        MetadataFilter::HasPath(path) => {
            at_path(sql, path);
            sql.push(" IS NOT NULL");
        }
        MetadataFilter::PathEquals { path, value } => {
            sql.push("COALESCE(");
            at_path(sql, path);
            sql.push(" = ").param(value.clone()).push(", FALSE)");
        }
        MetadataFilter::PathIn { path, values } => {
            if values.is_empty() {
                sql.push("FALSE");
                return;
            }
            sql.push("COALESCE(");
            at_path(sql, path);
            sql.push(" IN (");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.param(value.clone());
            }
            sql.push("), FALSE)");
        }
        MetadataFilter::UpdatedAfter(at) => {
            sql.push("(")
                .push_column("updated_at")
                .push(" > ")
                .param(*at)
                .push(")");
        }
        MetadataFilter::UpdatedBefore(at) => {
            sql.push("(")
                .push_column("updated_at")
                .push(" < ")
                .param(*at)
                .push(")");
        }
        MetadataFilter::All(filters) => sql.join(filters, " AND ", "TRUE", render),
        MetadataFilter::Any(filters) => sql.join(filters, " OR ", "FALSE", render),
        MetadataFilter::Not(filter) => {
            sql.push("(NOT ");
            render(sql, filter);
            sql.push(")");
        }
    }
}

/// `("<table>"."metadata" #> $n::text[])`, the path bound as one array literal.
fn at_path(sql: &mut Sql, path: &[String]) {
    sql.push("(")
        .push_column("metadata")
        .push(" #> ")
        .param(array_literal(path))
        .push("::text[])");
}

/// A `text[]` literal whose elements are all quoted, so that commas, braces, quotes and
/// backslashes in keys stay inside their element.
fn array_literal(path: &[String]) -> String {
    let mut literal = String::from("{");
    for (i, key) in path.iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        literal.push('"');
        for c in key.chars() {
            if c == '"' || c == '\\' {
                literal.push('\\');
            }
            literal.push(c);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

#[cfg(test)]
mod tests {
    use super::array_literal;

    #[test]
    fn array_literals_quote_every_element() {
        assert_eq!(array_literal(&["a".into(), "b,c".into()]), r#"{"a","b,c"}"#);
        assert_eq!(array_literal(&[r#"x"}\"#.into()]), r#"{"x\"}\\"}"#);
    }
}
