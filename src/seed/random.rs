//! Deterministic generators: the seeded PRNG, row ids, request references
//! and names.

use std::collections::HashSet;

use uuid::Uuid;

use super::catalogue::{FIRST_NAMES, SURNAMES};

/// Constant seed of the PRNG ("MUSTER-1"): change it and the network changes.
pub(super) const SEED: u64 = 0x4d55_5354_4552_2d31;
/// References come from their own stream, so editing other tables does not
/// renumber them.
pub(super) const REFERENCE_STREAM: u64 = 0x5245_4645_5245_4e43;
/// Seeded row ids come from their own stream too ("IDSTREAM").
pub(super) const ID_STREAM: u64 = 0x4944_5354_5245_414d;

/// splitmix64: tiny, fast and good enough to make demo choices repeatable.
pub(super) struct SplitMix64(u64);

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0); the modulo bias is irrelevant here.
    pub(super) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `low..=high`.
    pub(super) fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1).max(1) as usize) as i64
    }

    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Where row ids come from: random (the plain demo, as any other rows), or a
/// seeded stream, so that two scaled networks compare row for row.
pub(super) enum Ids {
    Random,
    Seeded(SplitMix64),
}

impl Ids {
    /// Ids from the seeded stream numbered `stream`.
    pub(super) fn seeded(stream: u64) -> Self {
        Self::Seeded(SplitMix64::new(
            SEED ^ ID_STREAM ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03),
        ))
    }

    /// A version 4 UUID: from the operating system, or from the stream.
    pub(super) fn next(&mut self) -> Uuid {
        match self {
            Self::Random => Uuid::new_v4(),
            Self::Seeded(rng) => {
                let mut bytes = [0; 16];
                bytes[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
                bytes[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
                uuid::Builder::from_random_bytes(bytes).into_uuid()
            }
        }
    }
}

pub(super) use crate::domain::requests::REFERENCE_ALPHABET;

/// A public request reference such as `REQ-7K3Q9F`, not yet in `used`.
pub(super) fn reference(rng: &mut SplitMix64, used: &mut HashSet<String>) -> String {
    loop {
        let mut reference = String::from("REQ-");
        for _ in 0..6 {
            reference.push(char::from(REFERENCE_ALPHABET[rng.below(REFERENCE_ALPHABET.len())]));
        }
        if used.insert(reference.clone()) {
            return reference;
        }
    }
}

/// Draws first name + surname combinations, each at most once.
#[derive(Default)]
pub(super) struct NamePool {
    used: HashSet<usize>,
}

impl NamePool {
    pub(super) fn draw(&mut self, rng: &mut SplitMix64) -> (&'static str, &'static str) {
        let total = FIRST_NAMES.len() * SURNAMES.len();
        let start = rng.below(total);
        // Linear probing from a random start: always terminates, and the pool
        // is far larger than the demo.
        let index = (0..total).map(|k| (start + k) % total).find(|i| self.used.insert(*i));
        let index = index.unwrap_or(start);
        (
            FIRST_NAMES[index % FIRST_NAMES.len()],
            SURNAMES[index / FIRST_NAMES.len()],
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{REFERENCE_ALPHABET, REFERENCE_STREAM, SEED, SplitMix64, reference};

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn references_are_repeatable_unique_and_unambiguous() {
        let draw = || {
            let mut rng = SplitMix64::new(SEED ^ REFERENCE_STREAM);
            let mut used = HashSet::new();
            (0..500).map(|_| reference(&mut rng, &mut used)).collect::<Vec<_>>()
        };
        let first = draw();
        assert_eq!(first, draw());
        assert_eq!(first.iter().collect::<HashSet<_>>().len(), first.len());
        for r in &first {
            assert_eq!(r.len(), 10, "{r}");
            assert!(r.starts_with("REQ-"), "{r}");
            assert!(r.bytes().skip(4).all(|b| REFERENCE_ALPHABET.contains(&b)), "{r}");
        }
    }
}
