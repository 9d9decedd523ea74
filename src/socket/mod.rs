//! Sockets: the generic socket (base), its options, the pattern contract, the shared routing
//! pieces (fair queue, load balancer) and one file per socket type.

pub mod active_set;
pub mod base;
pub mod client;
pub mod dealer;
pub mod dgram;
pub mod dish;
pub mod dist;
pub mod fq;
pub mod lb;
pub mod monitor;
pub mod mtrie;
pub mod options;
pub mod pair;
pub mod pattern;
pub mod pipes;
pub mod publisher;
pub mod pull;
pub mod push;
pub mod radio;
pub mod rep;
pub mod req;
pub mod router;
pub mod server;
pub mod single_part;
pub mod stream;
pub mod subscriber;
pub mod trie;
pub mod xpub;
pub mod xsub;
