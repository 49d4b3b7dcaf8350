//! A policy version compiled for checking: its JSON Schema validator and protected paths.

use chrono::{DateTime, Utc};
use entity::metadata_policy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{Grants, PolicyError, Violation, ViolationKind};
use crate::sync::{CROSS_REFERENCE_KEY, EntityType};

/// The largest schema accepted (serialized).
pub const MAX_SCHEMA_BYTES: usize = 256 * 1024;
/// The most protected paths one policy may list.
pub const MAX_PROTECTED_PATHS: usize = 100;
/// The most violations reported for one document.
const MAX_VIOLATIONS: usize = 50;
/// Messages are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// A JSON pointer into the document and the scope needed to change what it points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedPath {
    pub pointer: String,
    pub scope: String,
}

impl ProtectedPath {
    fn validate(&self) -> Result<(), PolicyError> {
        let invalid = |why: &str| {
            Err(PolicyError::Invalid(format!(
                "protected path {:?}: {why}",
                self.pointer
            )))
        };
        if !self.pointer.starts_with('/') || self.pointer.len() > 1_000 {
            return invalid(
                "must be a JSON pointer such as \"/pricing\" (at most 1,000 characters)",
            );
        }
        if self.scope.is_empty()
            || self.scope.len() > 200
            || self
                .scope
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return invalid(
                "its scope must be one token name without spaces (at most 200 characters)",
            );
        }
        Ok(())
    }
}

/// One version of an entity type's policy, ready to check documents.
pub struct Policy {
    pub id: Uuid,
    pub entity_type: EntityType,
    pub version: i32,
    pub schema: Value,
    pub protected_paths: Vec<ProtectedPath>,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("entity_type", &self.entity_type)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Compiles a stored policy row of `entity_type` (the type its reader resolved).
    pub fn from_row(
        row: metadata_policy::Model,
        entity_type: EntityType,
    ) -> Result<Policy, PolicyError> {
        let protected_paths = serde_json::from_value(row.protected_paths)
            .map_err(|e| PolicyError::Invalid(format!("stored protected paths: {e}")))?;
        Policy::compile(entity_type, row.version, row.schema, protected_paths).map(|policy| {
            Policy {
                id: row.id,
                actor: row.actor,
                created_at: row.created_at,
                ..policy
            }
        })
    }

    /// Checks and compiles a schema and protected paths. External `$ref`s are not
    /// fetched (the validator is built without file or network access): they are refused.
    pub fn compile(
        entity_type: EntityType,
        version: i32,
        schema: Value,
        protected_paths: Vec<ProtectedPath>,
    ) -> Result<Policy, PolicyError> {
        let size = serde_json::to_vec(&schema).map_or(usize::MAX, |bytes| bytes.len());
        if size > MAX_SCHEMA_BYTES {
            return Err(PolicyError::Invalid(format!(
                "the schema is {size} bytes; at most {MAX_SCHEMA_BYTES} are accepted"
            )));
        }
        if protected_paths.len() > MAX_PROTECTED_PATHS {
            return Err(PolicyError::Invalid(format!(
                "at most {MAX_PROTECTED_PATHS} protected paths are accepted"
            )));
        }
        protected_paths
            .iter()
            .try_for_each(ProtectedPath::validate)?;
        let validator = jsonschema::validator_for(&schema).map_err(|error| {
            PolicyError::Invalid(format!(
                "the schema is not a valid JSON Schema: {}",
                cut(error.masked().to_string())
            ))
        })?;
        Ok(Policy {
            id: Uuid::nil(),
            entity_type,
            version,
            schema,
            protected_paths,
            actor: None,
            created_at: Utc::now(),
            validator,
        })
    }

    /// Every way `after` breaks this policy when written over `before` (`None` for a new
    /// entity) by a writer holding `grants`; at most 50. The cross reference to the master
    /// row is the service's, not the user's: the schema does not see it.
    pub fn check(&self, before: Option<&Value>, after: &Value, grants: &Grants) -> Vec<Violation> {
        let mut violations = self.protected_path_violations(before, after, grants);
        violations.extend(self.schema_violations(after));
        violations.truncate(MAX_VIOLATIONS);
        violations
    }

    /// Where `document` does not satisfy the schema; at most 50.
    pub fn schema_violations(&self, document: &Value) -> Vec<Violation> {
        let check = |document: &Value| {
            self.validator
                .iter_errors(document)
                .take(MAX_VIOLATIONS)
                .map(|error| Violation {
                    pointer: error.instance_path().to_string(),
                    message: cut(error.masked().to_string()),
                    kind: ViolationKind::Schema,
                })
                .collect()
        };
        match document {
            Value::Object(map) if map.contains_key(CROSS_REFERENCE_KEY) => {
                let mut user_part = map.clone();
                user_part.remove(CROSS_REFERENCE_KEY);
                check(&Value::Object(user_part))
            }
            _ => check(document),
        }
    }

    /// Protected paths whose value differs between `before` and `after`, for a writer
    /// without the scope each needs.
    pub fn protected_path_violations(
        &self,
        before: Option<&Value>,
        after: &Value,
        grants: &Grants,
    ) -> Vec<Violation> {
        self.protected_paths
            .iter()
            .filter(|path| !grants.allows(&path.scope))
            .filter(|path| {
                before.and_then(|b| b.pointer(&path.pointer)) != after.pointer(&path.pointer)
            })
            .map(|path| Violation {
                pointer: path.pointer.clone(),
                message: format!("changing {} needs the `{}` scope", path.pointer, path.scope),
                kind: ViolationKind::ProtectedPath,
            })
            .collect()
    }
}

fn cut(message: String) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        message
    } else {
        message
            .chars()
            .take(MAX_MESSAGE_CHARS)
            .chain("…".chars())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(schema: Value, protected: &[(&str, &str)]) -> Policy {
        let protected = protected
            .iter()
            .map(|(pointer, scope)| ProtectedPath {
                pointer: (*pointer).into(),
                scope: (*scope).into(),
            })
            .collect();
        Policy::compile(EntityType::Campaign, 1, schema, protected).expect("valid policy")
    }

    #[test]
    fn the_cross_reference_is_invisible_to_the_schema() {
        let strict = policy(json!({ "additionalProperties": false }), &[]);
        let document = json!({ CROSS_REFERENCE_KEY: Uuid::nil().to_string() });
        assert!(strict.schema_violations(&document).is_empty());
        let extra = json!({ CROSS_REFERENCE_KEY: "x", "other": 1 });
        assert_eq!(strict.schema_violations(&extra).len(), 1);
    }

    #[test]
    fn protected_paths_compare_before_and_after() {
        let rules = policy(json!(true), &[("/pricing", "pricing:write")]);
        let none = Grants::Scopes(Default::default());
        let old = json!({ "pricing": { "net": 1 }, "title": "a" });
        let same_pricing = json!({ "pricing": { "net": 1 }, "title": "b" });
        assert!(rules.check(Some(&old), &same_pricing, &none).is_empty());
        let changed = json!({ "pricing": { "net": 2 } });
        assert_eq!(
            rules.check(Some(&old), &changed, &none)[0].kind,
            ViolationKind::ProtectedPath
        );
        assert_eq!(rules.check(None, &old, &none).len(), 1, "creating sets it");
        assert!(
            rules.check(None, &json!({}), &none).is_empty(),
            "absent stays absent"
        );
        let scopes = Grants::Scopes(std::sync::Arc::new(["pricing:write".to_owned()].into()));
        assert!(rules.check(Some(&old), &changed, &scopes).is_empty());
        assert!(rules.check(Some(&old), &changed, &Grants::All).is_empty());
    }

    #[test]
    fn messages_do_not_echo_values() {
        let rules = policy(json!({ "properties": { "a": { "type": "integer" } } }), &[]);
        let secret = "s3cr3t-".repeat(100);
        let found = rules.schema_violations(&json!({ "a": secret }));
        assert_eq!(found[0].pointer, "/a");
        assert!(!found[0].message.contains("s3cr3t"), "{}", found[0].message);
    }
}
