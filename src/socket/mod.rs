//! Sockets: the generic socket (base), its options, and one file per socket type.

pub mod options;
