//! Plan modelling.
