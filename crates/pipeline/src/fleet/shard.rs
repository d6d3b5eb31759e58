//! A stable share of a fleet's targets, for running a fleet check as many
//! jobs (a CI matrix, a Kubernetes Indexed Job) whose reports are merged.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Share `index` (1-based) of `count`: the targets for which this share
/// scores highest (rendezvous hashing of the target's name), so every
/// target is in exactly one share, a target added to the fleet moves no
/// other, and going from N to N+1 shares moves only a 1/(N+1) part.
///
/// ```
/// use driftless_pipeline::fleet::Shard;
/// let shards: Vec<Shard> = (1..=3).map(|i| Shard::new(i, 3).unwrap()).collect();
/// for t in ["tenant_1", "tenant_2", "tenant_3", "tenant_4"] {
///     assert_eq!(shards.iter().filter(|s| s.holds(t)).count(), 1);
/// }
/// assert_eq!("2/3".parse::<Shard>().unwrap(), shards[1]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// Which share, from 1.
    pub index: u32,
    /// How many shares.
    pub count: u32,
}

/// A shard that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid shard {given:?}: {why}")]
pub struct ShardError {
    /// What was given.
    pub given: String,
    /// What is wrong with it.
    pub why: String,
}

impl Shard {
    /// Share `index` of `count`, when `1 <= index <= count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 || index == 0 || index > count {
            return Err(ShardError {
                given: format!("{index}/{count}"),
                why: "expected I/N with 1 <= I <= N".into(),
            });
        }
        Ok(Shard { index, count })
    }

    /// The share of a Kubernetes Indexed Job's pod: `JOB_COMPLETION_INDEX`
    /// (from 0) and the count in `count_var` (the Job sets it from
    /// `.spec.completions`), read through `env`.
    pub fn from_env(
        env: impl Fn(&str) -> Option<String>,
        count_var: &str,
    ) -> Result<Shard, ShardError> {
        let read = |var: &str| -> Result<u32, ShardError> {
            let raw = env(var).ok_or_else(|| ShardError {
                given: "auto".into(),
                why: format!("${var} is not set"),
            })?;
            raw.trim().parse().map_err(|_| ShardError {
                given: "auto".into(),
                why: format!("${var} is {raw:?}, not a number"),
            })
        };
        let index = read("JOB_COMPLETION_INDEX")?;
        let count = read(count_var)?;
        Shard::new(index.saturating_add(1), count)
    }

    /// Whether `target` is in this share.
    pub fn holds(&self, target: &str) -> bool {
        (1..=self.count).max_by_key(|i| score(target, *i)) == Some(self.index)
    }
}

fn score(target: &str, share: u32) -> u64 {
    let digest = Sha256::new()
        .chain_update(share.to_be_bytes())
        .chain_update(target.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError {
            given: s.into(),
            why: "expected I/N, e.g. 2/8".into(),
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count).map_err(|e| ShardError {
            given: s.into(),
            ..e
        })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_disjoint_complete_and_stable_when_targets_are_added() {
        let names: Vec<String> = (0..2000).map(|i| format!("tenant_{i}")).collect();
        let four: Vec<Shard> = (1..=4).map(|i| Shard::new(i, 4).unwrap()).collect();
        let sizes: Vec<usize> = four
            .iter()
            .map(|s| names.iter().filter(|n| s.holds(n)).count())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), names.len());
        assert!(sizes.iter().all(|n| (400..600).contains(n)), "{sizes:?}");
        // From 4 to 5 shares, about a fifth of the targets move.
        let five: Vec<Shard> = (1..=5).map(|i| Shard::new(i, 5).unwrap()).collect();
        let moved = names
            .iter()
            .filter(|n| {
                let before = four.iter().position(|s| s.holds(n));
                let after = five.iter().position(|s| s.holds(n));
                before != after
            })
            .count();
        assert!((300..500).contains(&moved), "{moved} moved");
    }

    #[test]
    fn bad_shards_are_named() {
        for bad in ["0/3", "4/3", "x/3", "3", "1/0"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert_eq!(e.given, bad);
        }
        let env = |v: &str| match v {
            "JOB_COMPLETION_INDEX" => Some("2".to_string()),
            "SHARDS" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(
            Shard::from_env(env, "SHARDS").unwrap(),
            Shard::new(3, 3).unwrap()
        );
        assert!(Shard::from_env(env, "NOPE")
            .unwrap_err()
            .why
            .contains("$NOPE"));
    }
}
