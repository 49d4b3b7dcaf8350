//! Which entity types have a metadata policy, as far as this process has seen.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::EntityType;

/// Entity types this process has seen a metadata policy in force for. Policies are
/// versioned and never deleted, so a type seen with one keeps it: its writes go straight
/// to the full path, which checks the policy, instead of first trying the one statement
/// ([`super::write_in_place`]), which would find the policy and write nothing. A type not
/// (yet) seen here costs that one attempt, after which the full path's lock reads the
/// policy and notes it. Kept per schema, so per database.
#[derive(Clone, Debug, Default)]
pub struct TypesWithPolicy(Arc<Mutex<HashSet<EntityType>>>);

impl TypesWithPolicy {
    pub fn contains(&self, entity_type: EntityType) -> bool {
        self.0
            .lock()
            .is_ok_and(|types| types.contains(&entity_type))
    }

    pub fn note(&self, entity_type: EntityType) {
        if let Ok(mut types) = self.0.lock() {
            types.insert(entity_type);
        }
    }
}
