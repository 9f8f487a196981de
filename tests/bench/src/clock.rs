//! The bench's clock: the wall clock, or a virtual clock that a simulation
//! drives.
//!
//! With a virtual clock, time only moves when every *actor* waits on it: an
//! actor is anything that acts on the clock's time (the game-day harness's
//! event loop, each running state machine execution in the Step Functions
//! bridge). An actor is busy from the moment it registers until it sleeps;
//! when no actor is busy the clock jumps to the earliest wake-up and wakes
//! every actor due then. A 20-minute scenario therefore runs as fast as its
//! real work allows, and its times do not depend on the machine's speed.
//!
//! What follows the clock: Route 53's PENDING → INSYNC ([`crate::route53`]),
//! the resolvers' TTL cache and the answers of name servers before INSYNC
//! ([`crate::dns`]), and, through the proxy, CloudWatch alarm state times.
//! Processes outside the test reach the clock through the proxy's
//! `/__bench/clock` routes.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

/// Milliseconds since the Unix epoch.
pub type EpochMs = i64;

#[derive(Debug, Default)]
struct Virtual {
    now: EpochMs,
    next_id: u64,
    busy: HashSet<u64>,
    registered: HashSet<u64>,
    sleepers: BTreeMap<(EpochMs, u64), oneshot::Sender<EpochMs>>,
}

impl Virtual {
    /// Jumps to the earliest wake-up while no actor is busy.
    fn advance(&mut self) {
        while self.busy.is_empty() {
            let Some((&(until, _), _)) = self.sleepers.first_key_value() else {
                return;
            };
            self.now = self.now.max(until);
            while let Some(entry) = self.sleepers.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let ((_, id), waker) = entry.remove_entry();
                if self.registered.contains(&id) {
                    self.busy.insert(id);
                }
                let _ = waker.send(self.now);
            }
        }
    }
}

/// The clock. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    virtual_: Option<Arc<Mutex<Virtual>>>,
}

fn lock(state: &Mutex<Virtual>) -> std::sync::MutexGuard<'_, Virtual> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// The wall clock, in milliseconds since the epoch.
pub fn wall_ms() -> EpochMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as EpochMs)
        .unwrap_or_default()
}

impl Clock {
    /// The wall clock.
    pub fn wall() -> Clock {
        Clock::default()
    }

    /// A virtual clock starting at `start` (milliseconds since the epoch).
    pub fn starting_at(start: EpochMs) -> Clock {
        Clock {
            virtual_: Some(Arc::new(Mutex::new(Virtual {
                now: start,
                ..Virtual::default()
            }))),
        }
    }

    /// Whether this is a virtual clock.
    pub fn is_virtual(&self) -> bool {
        self.virtual_.is_some()
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> EpochMs {
        match &self.virtual_ {
            Some(state) => lock(state).now,
            None => wall_ms(),
        }
    }

    /// Registers an actor, busy until it sleeps; returns its id. The clock
    /// does not move while it is busy.
    pub fn register(&self) -> u64 {
        let Some(state) = &self.virtual_ else {
            return 0;
        };
        let mut state = lock(state);
        state.next_id += 1;
        let id = state.next_id;
        state.registered.insert(id);
        state.busy.insert(id);
        id
    }

    /// Removes an actor (it will never sleep again).
    pub fn unregister(&self, id: u64) {
        let Some(state) = &self.virtual_ else {
            return;
        };
        let mut state = lock(state);
        state.registered.remove(&id);
        state.busy.remove(&id);
        state.advance();
    }

    /// Actor `id` waits until `until`; returns the time it woke at. On the
    /// wall clock, it sleeps.
    pub async fn sleep_until(&self, id: u64, until: EpochMs) -> EpochMs {
        let receiver = match &self.virtual_ {
            None => {
                let wait = (until - wall_ms()).max(0) as u64;
                tokio::time::sleep(Duration::from_millis(wait)).await;
                return wall_ms();
            }
            Some(state) => {
                let mut state = lock(state);
                if until <= state.now {
                    return state.now;
                }
                let (waker, receiver) = oneshot::channel();
                state.busy.remove(&id);
                state.sleepers.insert((until, id), waker);
                state.advance();
                receiver
            }
        };
        match receiver.await {
            Ok(now) => now,
            Err(_) => self.now_ms(),
        }
    }

    /// An actor that unregisters when dropped.
    pub fn actor(&self) -> Actor {
        Actor {
            clock: self.clone(),
            id: self.register(),
        }
    }
}

/// A registered actor of a [`Clock`].
#[derive(Debug)]
pub struct Actor {
    clock: Clock,
    id: u64,
}

impl Actor {
    /// Waits until `until` (milliseconds since the epoch); returns now.
    pub async fn sleep_until(&self, until: EpochMs) -> EpochMs {
        self.clock.sleep_until(self.id, until).await
    }

    /// Waits `duration`; returns now.
    pub async fn sleep(&self, duration: Duration) -> EpochMs {
        let until = self.clock.now_ms() + duration.as_millis() as EpochMs;
        self.sleep_until(until).await
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

impl Drop for Actor {
    fn drop(&mut self) {
        self.clock.unregister(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn time_moves_only_when_every_actor_waits() {
        let clock = Clock::starting_at(1_000);
        let a = clock.actor();
        let b = clock.actor();
        let clock_b = clock.clone();
        let waiting = tokio::spawn(async move {
            let woke = b.sleep_until(5_000).await;
            (woke, clock_b.now_ms(), b)
        });
        tokio::task::yield_now().await;
        // `a` is busy: nothing moves, however long `b` waits.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(clock.now_ms(), 1_000);
        // `a` sleeps past `b`'s wake-up: the clock goes to 5 000 first.
        let woke_a = tokio::spawn(async move { a.sleep_until(9_000).await });
        let (woke_b, seen, b) = waiting.await.unwrap();
        assert_eq!((woke_b, seen), (5_000, 5_000));
        // `b` is busy again until it goes.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(clock.now_ms(), 5_000);
        drop(b);
        assert_eq!(woke_a.await.unwrap(), 9_000);
        assert_eq!(clock.now_ms(), 9_000);
    }

    #[tokio::test]
    async fn sleeping_into_the_past_returns_at_once() {
        let clock = Clock::starting_at(10);
        let actor = clock.actor();
        assert_eq!(actor.sleep_until(5).await, 10);
        assert_eq!(actor.sleep(Duration::from_millis(7)).await, 17);
        assert!(!Clock::wall().is_virtual());
    }
}
