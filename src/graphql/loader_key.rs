//! Loader keys hashed by their id alone.
//!
//! A DataLoader hashes every key several times per load (its set of pending keys, the
//! loader's answer map, the lookups in it) with std's SipHash, whose cost grows with the
//! number of writes: an entity type (its name), a UUID (its length, then its bytes) and
//! two enums make eight. An [`IdKey`] hashes its UUID as one `u128`, and the rest of the
//! key only takes part in equality. Equal keys have equal ids, so this agrees with `Eq`;
//! keys that differ only in the rest (one id read two ways in a request) share a bucket.

use std::hash::{Hash, Hasher};

use uuid::Uuid;

/// A loader key: an id, and what else tells two lookups of it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdKey<T> {
    pub id: Uuid,
    pub with: T,
}

impl<T> IdKey<T> {
    pub fn new(id: Uuid, with: T) -> Self {
        IdKey { id, with }
    }
}

impl<T> Hash for IdKey<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(self.id.as_u128());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn keys_of_one_id_hash_alike_and_stay_apart() {
        let id = Uuid::new_v4();
        let hasher = std::collections::hash_map::RandomState::new();
        assert_eq!(
            hasher.hash_one(IdKey::new(id, 1)),
            hasher.hash_one(IdKey::new(id, 2))
        );
        let mut map = HashMap::new();
        map.insert(IdKey::new(id, 1), "one");
        map.insert(IdKey::new(id, 2), "two");
        map.insert(IdKey::new(Uuid::new_v4(), 1), "other");
        assert_eq!(map.len(), 3);
        assert_eq!(map[&IdKey::new(id, 2)], "two");
        assert_eq!(map.get(&IdKey::new(id, 3)), None);
    }
}
