//! A bounded cache of verified tokens, so that a token presented again skips the signature
//! check and the claim parsing.
//!
//! - **Key**: the SHA-256 digest of the token. Collision resistance needs no secret, so a
//!   hit can only be the very token that was verified, never a look-alike crafted to share
//!   its key; and the cache holds no bearer token that a memory dump could replay. The cost,
//!   about 1 µs for a typical token on a CPU without SHA extensions, is small against an
//!   EdDSA (about 50 µs) or RSA check. A keyed 64-bit hash (SipHash, foldhash) would be
//!   cheaper, but 64 bits are too few to rule out a collision that hands one user's claims
//!   to another, and 128-bit keyed hashes are not in the dependency tree.
//! - **Lifetime**: an entry is served until `min(exp, verified at + max_ttl)`, never past
//!   `exp`: the claim rules accept a token up to `exp + leeway`, so the cache only ever
//!   answers within the window in which a full check would pass.
//! - **Key rotation**: the verifier empties the cache whenever the JWKS key set changes, so a
//!   token signed by a key that was removed is checked again (and refused).
//! - **Failures are never cached**: an attacker can mint endless invalid tokens, and caching
//!   them would only let those push valid entries out. Invalid tokens are refused by the
//!   full check each time.
//! - **Concurrency**: 16 shards, each a mutex around a hash map, picked by the digest, so
//!   actix's worker threads seldom meet on one lock; each lock is held for a map lookup.
//! - **Bound**: each shard holds at most `capacity / 16` (rounded up) entries. A full shard
//!   first drops its expired entries, then an arbitrary one. Only verified tokens get in,
//!   which only the holders of the secret or the private keys can mint, so nobody can flood
//!   it on purpose; and since the keys are uniform digests, the map needs no DoS-resistant
//!   hasher.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use tasks_ports::Claims;

const SHARDS: usize = 16;

/// How many verified tokens to keep, and for how long at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCacheSettings {
    /// Most tokens kept (rounded up to a multiple of 16); `0` turns the cache off.
    pub capacity: usize,
    /// Longest an entry is served after its verification, even if `exp` is later.
    pub max_ttl: Duration,
}

impl TokenCacheSettings {
    pub const DEFAULT_CAPACITY: usize = 10_000;
    pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(5 * 60);

    /// No cache: every token is checked in full.
    pub const DISABLED: Self = Self {
        capacity: 0,
        max_ttl: Duration::ZERO,
    };
}

impl Default for TokenCacheSettings {
    fn default() -> Self {
        Self {
            capacity: Self::DEFAULT_CAPACITY,
            max_ttl: Self::DEFAULT_MAX_TTL,
        }
    }
}

/// The SHA-256 digest of a token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenKey([u8; 32]);

impl TokenKey {
    pub(crate) fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    fn shard(&self) -> usize {
        usize::from(self.0[0]) % SHARDS
    }
}

impl Hash for TokenKey {
    /// The digest is already uniform: eight of its bytes (not those picking the shard) are
    /// the hash.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut word = [0; 8];
        word.copy_from_slice(&self.0[8..16]);
        state.write_u64(u64::from_le_bytes(word));
    }
}

/// Passes the `u64` that [`TokenKey`] writes through unchanged.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `TokenKey`; fold anything else in, just in case.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type Shard = HashMap<TokenKey, Entry, BuildHasherDefault<PassThrough>>;

struct Entry {
    claims: Claims,
    /// Seconds since the epoch; served while `now < valid_until`.
    valid_until: i64,
}

pub(crate) struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    shard_capacity: usize,
    max_ttl_secs: i64,
    /// Bumped by every [`clear`](Self::clear): a verification that began before it may have
    /// used keys that are gone, so its result is not stored.
    generation: AtomicU64,
}

impl TokenCache {
    /// `None` when the settings turn the cache off.
    pub(crate) fn new(settings: TokenCacheSettings) -> Option<Self> {
        if settings.capacity == 0 || settings.max_ttl.is_zero() {
            return None;
        }
        Some(Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shard_capacity: settings.capacity.div_ceil(SHARDS),
            max_ttl_secs: i64::try_from(settings.max_ttl.as_secs()).unwrap_or(i64::MAX),
            generation: AtomicU64::new(0),
        })
    }

    fn shard(&self, key: &TokenKey) -> MutexGuard<'_, Shard> {
        // Entries are inserted and removed whole: a panic elsewhere cannot leave one half
        // written, so a poisoned lock is safe to use.
        self.shards[key.shard()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// To pass to [`insert`](Self::insert): read it before the keys used to verify.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The claims of a token verified earlier, if its entry is still valid at `now`.
    pub(crate) fn get(&self, key: &TokenKey, now: i64) -> Option<Claims> {
        let mut shard = self.shard(key);
        let entry = shard.get(key)?;
        if now < entry.valid_until {
            return Some(entry.claims.clone());
        }
        shard.remove(key);
        None
    }

    /// Keeps the claims of a token just verified, unless the cache was emptied since
    /// `generation` was read.
    pub(crate) fn insert(&self, key: TokenKey, claims: &Claims, now: i64, generation: u64) {
        let valid_until = claims.expires_at.min(now.saturating_add(self.max_ttl_secs));
        if valid_until <= now {
            return;
        }
        let mut shard = self.shard(&key);
        // Checked under the shard lock: `clear` bumps the generation before it takes the
        // locks, so an entry from before it is either refused here or cleared there.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if shard.len() >= self.shard_capacity && !shard.contains_key(&key) {
            shard.retain(|_, entry| now < entry.valid_until);
            if shard.len() >= self.shard_capacity {
                // The map's order follows the digests: an arbitrary victim.
                if let Some(victim) = shard.keys().next().copied() {
                    shard.remove(&victim);
                }
            }
        }
        shard.insert(
            key,
            Entry {
                claims: claims.clone(),
                valid_until,
            },
        );
    }

    /// Forgets every token, and refuses the results of verifications already under way.
    pub(crate) fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.clear();
            shard.shrink_to(self.shard_capacity.min(64));
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tasks_domain::UserId;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn cache(capacity: usize, max_ttl_secs: u64) -> TokenCache {
        TokenCache::new(TokenCacheSettings {
            capacity,
            max_ttl: Duration::from_secs(max_ttl_secs),
        })
        .unwrap()
    }

    fn claims(subject: &str, expires_at: i64) -> Claims {
        Claims {
            subject: UserId::parse(subject).unwrap(),
            expires_at,
        }
    }

    #[test]
    fn a_hit_returns_the_same_claims() {
        let cache = cache(100, 300);
        let key = TokenKey::of("token-a");
        let stored = claims("alice", NOW + 600);
        cache.insert(key, &stored, NOW, cache.generation());
        assert_eq!(cache.get(&key, NOW), Some(stored.clone()));
        assert_eq!(cache.get(&key, NOW + 100), Some(stored));
        assert_eq!(cache.get(&TokenKey::of("token-b"), NOW), None);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn entries_are_not_served_from_exp_on() {
        let cache = cache(100, 300);
        let key = TokenKey::of("token");
        cache.insert(key, &claims("alice", NOW + 10), NOW, cache.generation());
        assert!(cache.get(&key, NOW + 9).is_some());
        assert_eq!(cache.get(&key, NOW + 10), None);
        // The expired entry is gone, not only hidden.
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn entries_are_not_served_past_the_ttl_cap() {
        let cache = cache(100, 60);
        let key = TokenKey::of("token");
        cache.insert(key, &claims("alice", NOW + 3600), NOW, cache.generation());
        assert!(cache.get(&key, NOW + 59).is_some());
        assert_eq!(cache.get(&key, NOW + 60), None);
    }

    #[test]
    fn already_expired_tokens_are_not_stored() {
        // Within the leeway a full check still accepts them; the cache never does.
        let cache = cache(100, 300);
        cache.insert(
            TokenKey::of("token"),
            &claims("alice", NOW - 5),
            NOW,
            cache.generation(),
        );
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn clear_empties_and_refuses_results_of_earlier_verifications() {
        let cache = cache(100, 300);
        let before = cache.generation();
        cache.insert(TokenKey::of("a"), &claims("alice", NOW + 600), NOW, before);
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.get(&TokenKey::of("a"), NOW), None);
        // A verification that started before the clear may have used a removed key.
        cache.insert(TokenKey::of("b"), &claims("bob", NOW + 600), NOW, before);
        assert_eq!(cache.len(), 0);
        cache.insert(
            TokenKey::of("b"),
            &claims("bob", NOW + 600),
            NOW,
            cache.generation(),
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn size_is_bounded() {
        let cache = cache(64, 300);
        for i in 0..10_000 {
            let key = TokenKey::of(&format!("token-{i}"));
            cache.insert(key, &claims("alice", NOW + 600), NOW, cache.generation());
        }
        assert!(cache.len() <= 64, "{}", cache.len());
        assert!(cache.len() >= 48, "{}", cache.len());
        // The newest entry is always kept.
        assert!(cache.get(&TokenKey::of("token-9999"), NOW).is_some());
    }

    #[test]
    fn a_full_shard_drops_expired_entries_first() {
        // 16 per shard at capacity 256: fill one shard with short-lived entries.
        let cache = cache(256, 300);
        let keys: Vec<TokenKey> = (0..)
            .map(|i| TokenKey::of(&format!("t{i}")))
            .filter(|key| key.shard() == 0)
            .take(17)
            .collect();
        for key in &keys[..15] {
            cache.insert(*key, &claims("a", NOW + 5), NOW, cache.generation());
        }
        let survivor = keys[15];
        cache.insert(survivor, &claims("b", NOW + 600), NOW, cache.generation());
        // Later, the short-lived ones have expired: they make room, not the survivor.
        cache.insert(
            keys[16],
            &claims("c", NOW + 600),
            NOW + 10,
            cache.generation(),
        );
        assert!(cache.get(&survivor, NOW + 10).is_some());
        assert!(cache.get(&keys[16], NOW + 10).is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn zero_capacity_or_ttl_turns_it_off() {
        assert!(TokenCache::new(TokenCacheSettings::DISABLED).is_none());
        assert!(
            TokenCache::new(TokenCacheSettings {
                capacity: 0,
                ..TokenCacheSettings::default()
            })
            .is_none()
        );
        assert!(TokenCache::new(TokenCacheSettings::default()).is_some());
    }

    #[test]
    fn shared_between_threads() {
        let cache = Arc::new(cache(10_000, 300));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        let key = TokenKey::of(&format!("{t}-{i}"));
                        let stored = claims(&format!("user-{t}"), NOW + 600);
                        cache.insert(key, &stored, NOW, cache.generation());
                        assert_eq!(cache.get(&key, NOW), Some(stored));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(cache.len(), 4000);
    }
}
