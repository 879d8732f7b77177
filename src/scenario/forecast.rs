//! The expense forecast.
