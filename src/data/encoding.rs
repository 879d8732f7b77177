//! Data files in a declared legacy encoding (`[deals] encoding = "windows-1252"`): the file's bytes
//! decoded into UTF-8 as they are read, so every reader downstream sees the same text as from a
//! UTF-8 file.
//!
//! Invariants: the encoding is what the workspace declares, never sniffed from the text (a byte-order
//! mark at the start, the file's own declaration, wins, as in every WHATWG decoder); the SHA-256
//! and size the manifest records are the file's bytes on disk, not the decoded text; bytes the
//! encoding cannot decode are replaced in the text and each is reported ([`RawSide::malformed`]),
//! an error that stops the run, so no replaced character reaches a figure. Line breaks decode to
//! line breaks, so lines are numbered as in the file.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use encoding_rs::{Decoder, DecoderResult, Encoding};
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Diagnostics};

/// What is known of the file's own bytes once it is read through a [`Decoding`] reader.
pub struct RawSide {
    encoding: &'static Encoding,
    pub sha256: Sha256,
    pub bytes: u64,
    /// The bytes the encoding could not decode: (line, the bytes), the first [`MAX_MALFORMED`].
    pub malformed: Vec<(u64, Vec<u8>)>,
    /// How many there were in all.
    pub malformed_count: u64,
}

/// Malformed sequences kept with their line; the rest are counted.
const MAX_MALFORMED: usize = 20;

impl RawSide {
    /// The file's SHA-256 in hex.
    pub fn sha256_hex(&self) -> String {
        format!("{:x}", self.sha256.clone().finalize())
    }

    /// What a reader of the decoded text records for the file: its own bytes' SHA-256 (hex) and
    /// size; the sequences that did not decode go to `diags`.
    pub fn settle(side: &Mutex<RawSide>, file: &str, diags: &mut Diagnostics) -> (String, u64) {
        let side = side.lock().unwrap_or_else(|e| e.into_inner());
        diags.extend(side.diagnostics(file));
        (side.sha256_hex(), side.bytes)
    }

    /// One `encoding-invalid` error per malformed sequence kept, and one for the rest.
    fn diagnostics(&self, file: &str) -> Vec<Diagnostic> {
        let encoding = self.encoding;
        let mut out: Vec<Diagnostic> = self
            .malformed
            .iter()
            .map(|(line, bytes)| {
                let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
                Diagnostic::error(
                    "encoding-invalid",
                    file,
                    format!(
                        "bytes that are not {} text, the encoding the workspace names for the file",
                        encoding.name()
                    ),
                )
                .line(*line)
                .value(hex.join(" "))
                .hint("check the file's encoding in the workspace, or export the file as UTF-8")
            })
            .collect();
        let rest = self.malformed_count - self.malformed.len() as u64;
        if rest > 0 {
            out.push(Diagnostic::error(
                "encoding-invalid",
                file,
                format!(
                    "{rest} more places with bytes that are not {} text",
                    encoding.name()
                ),
            ));
        }
        out
    }
}

/// A reader of `inner`'s bytes in `encoding`, giving UTF-8; the file's hash, size and malformed
/// sequences go to the shared [`RawSide`].
pub struct Decoding<R> {
    inner: R,
    decoder: Decoder,
    raw: Vec<u8>,
    /// Decoded text not yet given out, from `given`.
    text: Vec<u8>,
    given: usize,
    /// Line breaks decoded so far: the line the next decoded byte is on, less one.
    newlines: u64,
    done: bool,
    side: Arc<Mutex<RawSide>>,
}

/// Bytes read from the file at a time.
const CHUNK: usize = 1 << 16;

impl<R: Read> Decoding<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> (Self, Arc<Mutex<RawSide>>) {
        let side = Arc::new(Mutex::new(RawSide {
            encoding,
            sha256: Sha256::new(),
            bytes: 0,
            malformed: Vec::new(),
            malformed_count: 0,
        }));
        let reader = Decoding {
            inner,
            decoder: encoding.new_decoder(),
            raw: vec![0; CHUNK],
            text: Vec::new(),
            given: 0,
            newlines: 0,
            done: false,
            side: side.clone(),
        };
        (reader, side)
    }

    /// Read the next chunk of the file and decode it into `text`.
    fn refill(&mut self) -> io::Result<()> {
        let n = loop {
            match self.inner.read(&mut self.raw) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        let last = n == 0;
        let mut side = self.side.lock().unwrap_or_else(|e| e.into_inner());
        side.sha256.update(&self.raw[..n]);
        side.bytes += n as u64;
        self.text.clear();
        self.given = 0;
        let mut src = &self.raw[..n];
        loop {
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 4 + 16)
                .max(16);
            let at = self.text.len();
            self.text.resize(at + room, 0);
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.text[at..], last);
            self.text.truncate(at + written);
            self.newlines += bytecount::count(&self.text[at..], b'\n') as u64;
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, consumed) => {
                    let end = read - consumed as usize;
                    let start = end.saturating_sub(bad as usize);
                    side.malformed_count += 1;
                    if side.malformed.len() < MAX_MALFORMED {
                        side.malformed
                            .push((self.newlines + 1, src[start..end].to_vec()));
                    }
                    self.text.extend_from_slice("\u{FFFD}".as_bytes());
                }
            }
            src = &src[read..];
        }
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.given == self.text.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = out.len().min(self.text.len() - self.given);
        out[..n].copy_from_slice(&self.text[self.given..self.given + n]);
        self.given += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], encoding: &'static Encoding) -> (String, Arc<Mutex<RawSide>>) {
        let (mut reader, side) = Decoding::new(bytes, encoding);
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        (text, side)
    }

    #[test]
    fn windows_1252_decodes_and_the_hash_is_of_the_bytes_on_disk() {
        // "Lefèvre" in Windows-1252: è is the one byte E8.
        let bytes = b"id,name\nD1,Lef\xE8vre\n";
        let (text, side) = decode(bytes, encoding_rs::WINDOWS_1252);
        assert_eq!(text, "id,name\nD1,Lefèvre\n");
        let side = side.lock().unwrap();
        assert_eq!(side.bytes, bytes.len() as u64);
        assert_eq!(side.sha256_hex(), format!("{:x}", Sha256::digest(bytes)));
        assert!(side.malformed.is_empty());
    }

    #[test]
    fn a_malformed_sequence_is_reported_with_its_line() {
        // Shift_JIS: 0x82 0xA0 is "あ"; 0x82 followed by 0x20 is not a character (line 3).
        let bytes = b"a\nb\x82\xA0\nc\x82 d\n";
        let (text, side) = decode(bytes, encoding_rs::SHIFT_JIS);
        assert!(text.starts_with("a\nbあ\nc\u{FFFD}"), "{text}");
        let side = side.lock().unwrap();
        assert_eq!(side.malformed_count, 1);
        assert_eq!(side.malformed[0].0, 3);
        assert_eq!(side.malformed[0].1, b"\x82");
    }
}
