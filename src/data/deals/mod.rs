//! The transactions table (deals, order lines, invoices), stored by column, read in parallel.
//!
//! Invariants: one entry per data row that parsed, in owner order once read (each rep's rows one
//! range, in file order within it; see `owner_order`), whatever the thread count; every
//! other data row read is counted as set aside, under the currency its cells give; `deal_id`
//! unique; every deal's rep is in the roster, or is [`NO_OWNER`] when its `rep_id` is empty;
//! `amount` and `close_date` exact where present (an empty one is an error only where a measure
//! needs it, which the engine checks);
//! each column is typed once (canonical columns by the contract, extra columns by the workspace's
//! `types`, text otherwise) and its cells parsed with the file's formats. Storage is compact: ids in
//! one byte arena, decimals as (i64 mantissa, scale), dates as 4 bytes, text interned per column
//! (codes of 8, 16 or 32 bits, as the dictionary needs).
//!
//! Files of one job: `table` (the storage the engine reads), `fields` (fast number and date
//! parsers), `ids` (deal ids front-coded), `intern` (a piece's text dictionaries), `owner_order` (the rows
//! reordered by owner once read), `file_rows` (each row's place in the file, coded by blocks), `blocks` (cutting a block at record
//! boundaries), `piece` (parsing a piece into columns), `plain` (the fast path of a quote-free
//! piece: each record's cells parsed from its field bounds by a plan made once), `read` (the blocks read, parsed in
//! parallel and appended in file order).
//!
//! Reading: the file is read in blocks; each block is scanned once for quotes and carriage returns
//! and cut at record boundaries (a newline outside quotes, so quoted newlines are safe; a stray quote
//! is a piece of its own, one row not loaded, see `quotes.rs`) into pieces
//! parsed on rayon (quote-free ones split by `delimiters.rs`, others by the csv crate) and appended
//! in file order while, beside them, the next block is read and hashed. Each piece counts its lines
//! from 0 and is rebased once the pieces before it are counted. A record's line is the physical line
//! of its first byte (see `lines.rs`: the csv crate's own count is one short after a CRLF).

mod blocks;
mod fields;
mod file_rows;
mod ids;
mod intern;
mod owner_order;
mod piece;
mod plain;
mod read;
mod table;

pub(crate) use intern::{pack, pack_bytes};
pub use read::{read_deals, ReadOptions};
pub use table::*;
