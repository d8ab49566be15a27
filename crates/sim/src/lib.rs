#![doc = include_str!("../README.md")]
// A test harness, not consensus code: it indexes its own node and state vectors, which are
// built together at construction and never resized.
#![allow(clippy::indexing_slicing)]

mod faults;
mod network;
mod node;

pub use faults::{Behavior, CrashPhase, ProposerFault};
pub use network::{Inputs, Network, SimConfig};
pub use node::Node;
