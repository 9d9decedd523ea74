//! placeholder: socket options (being written)
