//! A small builder of parameterised SQL fragments: text from this module's own renderers,
//! every input value a bound parameter.

use sea_orm::DatabaseBackend;
use sea_orm::Value;

use super::MetadataFilter;
use sea_orm::sea_query::Expr;

pub(super) struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
    /// Aliases of nested `json_each` scans (SQLite), numbered so that they never clash.
    aliases: usize,
    /// The table whose columns a filter reads (a registry table or the master table, never
    /// input), so that a condition stays unambiguous when another table is joined.
    table: &'static str,
    /// The table's metadata column (`metadata` but for attached tables), which the
    /// renderers name `metadata`.
    metadata: &'static str,
}

impl Sql {
    pub(super) fn new(backend: DatabaseBackend, table: &'static str) -> Self {
        Sql::with_metadata_column(backend, table, "metadata")
    }

    /// A builder for a table whose metadata column is `metadata` (a registry name).
    pub(super) fn with_metadata_column(
        backend: DatabaseBackend,
        table: &'static str,
        metadata: &'static str,
    ) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
            aliases: 0,
            table,
            metadata,
        }
    }

    pub(super) fn backend(&self) -> DatabaseBackend {
        self.backend
    }

    /// `"<table>"."<name>"`: a column of the filtered table.
    pub(super) fn column(&self, name: &str) -> String {
        let name = if name == "metadata" {
            self.metadata
        } else {
            name
        };
        format!("\"{}\".\"{name}\"", self.table)
    }

    /// Appends [`Sql::column`].
    pub(super) fn push_column(&mut self, name: &str) -> &mut Self {
        let column = self.column(name);
        self.push(&column)
    }

    /// Appends trusted SQL text (never input).
    pub(super) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(super) fn param(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            // sea-query numbers PostgreSQL placeholders within one custom expression.
            DatabaseBackend::Postgres => {
                let n = self.values.len();
                self.text.push('$');
                self.text.push_str(&n.to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// A fresh alias for a nested scan: `j1`, `j2`, …
    pub(super) fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("j{}", self.aliases)
    }

    /// `(a <operator> b …)` of the filters rendered by `render`, or `empty` for none.
    pub(super) fn join(
        &mut self,
        filters: &[MetadataFilter],
        operator: &str,
        empty: &str,
        render: fn(&mut Sql, &MetadataFilter),
    ) {
        if filters.is_empty() {
            self.push(empty);
            return;
        }
        self.push("(");
        for (i, filter) in filters.iter().enumerate() {
            if i > 0 {
                self.push(operator);
            }
            render(self, filter);
        }
        self.push(")");
    }

    pub(super) fn into_expr(self) -> Expr {
        Expr::cust_with_values(self.text, self.values)
    }
}
