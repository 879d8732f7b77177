//! `payout init`: a starter workspace from a CRM export. Reads the export named by `--deals`,
//! recognises its layout ([`crate::scaffold`]), writes `payout.toml`, `plans/starter.toml`,
//! `reps.csv` and `quotas.csv` into the folder (never over an existing file unless `--force`), and
//! prints what it found and the next step.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::Global;
use crate::scaffold::{self, Export};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder to write the workspace into (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Replace files a previous `payout init` (or anything else) left there.
    #[arg(long)]
    pub force: bool,
}

pub fn run(global: &Global, args: &InitArgs) -> anyhow::Result<i32> {
    let Some(deals) = &global.deals else {
        anyhow::bail!("init needs the CRM export: payout init --deals EXPORT.csv [--dir FOLDER]");
    };
    let export = read_export(deals)?;
    let guess = scaffold::guess(&export);
    let deals_path = path_from(&args.dir, deals)?;
    let files = [
        (
            "payout.toml",
            scaffold::render_workspace(&guess, &deals_path),
        ),
        ("plans/starter.toml", scaffold::render_plan(&guess)),
        ("reps.csv", scaffold::render_roster(&guess)),
        ("quotas.csv", scaffold::render_quotas(&guess)),
    ];
    if !args.force {
        if let Some((name, _)) = files.iter().find(|(name, _)| args.dir.join(name).exists()) {
            anyhow::bail!(
                "{} exists: init writes a new workspace (pass --force to replace its files)",
                args.dir.join(name).display()
            );
        }
    }
    std::fs::create_dir_all(args.dir.join("plans"))
        .with_context(|| format!("cannot create {}", args.dir.join("plans").display()))?;
    for (name, text) in &files {
        let path = args.dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    report(global, &guess, &args.dir);
    Ok(0)
}

/// Every row of the export (owners come from all of them; formats from every non-empty cell).
fn read_export(path: &Path) -> anyhow::Result<Export> {
    let raw = std::fs::read(path)
        .with_context(|| format!("cannot open the export {}", path.display()))?;
    let (bytes, encoding) = decoded(raw);
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if crate::data::csv_input::is_utf16(header) {
        let file = path.display().to_string();
        let utf16 = crate::data::csv_input::utf16(&file);
        return Err(anyhow::Error::new(crate::diag::InvalidInput(vec![utf16])));
    }
    let delimiter = scaffold::sniff_delimiter(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes.as_slice());
    let text = |r: &csv::ByteRecord| -> Vec<String> {
        r.iter()
            .map(|c| {
                String::from_utf8_lossy(c)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect()
    };
    let headers = text(
        reader
            .byte_headers()
            .with_context(|| format!("cannot read the header row of {}", path.display()))?,
    );
    let mut rows = Vec::new();
    for record in reader.byte_records() {
        let record = record.with_context(|| format!("cannot read {}", path.display()))?;
        rows.push(text(&record));
    }
    Ok(Export {
        headers,
        rows,
        delimiter,
        encoding,
    })
}

/// The export's text as UTF-8, and the label of the encoding it was in when not UTF-8: UTF-16
/// after its byte-order mark (Excel's "Unicode Text"), else Windows-1252 for bytes that are not
/// UTF-8 (Excel's "CSV" on Windows), the one single-byte encoding that reads any bytes; the
/// workspace names it beside a CHECK.
fn decoded(raw: Vec<u8>) -> (Vec<u8>, Option<&'static str>) {
    let (encoding, label) = match encoding_rs::Encoding::for_bom(&raw) {
        Some((e, _)) if e == encoding_rs::UTF_16LE => (e, "utf-16"),
        Some((e, _)) if e == encoding_rs::UTF_16BE => (e, "utf-16be"),
        _ if std::str::from_utf8(&raw).is_ok() => return (raw, None),
        _ => (encoding_rs::WINDOWS_1252, "windows-1252"),
    };
    let (text, _, _) = encoding.decode(&raw);
    (text.into_owned().into_bytes(), Some(label))
}

/// How the workspace in `dir` names the export: relative to `dir` when both are relative paths
/// under the current folder, else absolute.
fn path_from(dir: &Path, export: &Path) -> anyhow::Result<String> {
    let absolute = |p: &Path| -> anyhow::Result<PathBuf> {
        std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))
    };
    let (dir, export) = (absolute(dir)?, absolute(export)?);
    let path = match export.strip_prefix(&dir) {
        Ok(inside) => inside.to_path_buf(),
        Err(_) => export,
    };
    Ok(path.to_string_lossy().into_owned())
}

fn report(global: &Global, g: &scaffold::Guess, dir: &Path) {
    let delimited = match g.delimiter {
        b',' => String::new(),
        d => format!(", fields separated by {}", crate::data::delimiter_name(d)),
    };
    global.message(match g.layout {
        Some(layout) => format!(
            "recognised {layout} ({} rows, {} owners{delimited})",
            g.rows,
            g.owners.len()
        ),
        None => format!(
            "did not recognise the export's layout ({} rows, {} owners{delimited})",
            g.rows,
            g.owners.len()
        ),
    });
    if let Some(label) = g.encoding {
        global.message(format!(
            "text: not UTF-8, read as {label} (`encoding` in payout.toml)"
        ));
    }
    let mapped: Vec<String> = g
        .columns
        .iter()
        .map(|(c, h)| format!("{c} = \"{h}\""))
        .collect();
    global.message(match mapped.is_empty() {
        true => "columns: no header recognised".to_string(),
        false => format!("columns: {}", mapped.join(", ")),
    });
    if !g.missing.is_empty() {
        global.message(format!(
            "no header found for the required column(s) {}: map them in payout.toml",
            g.missing.join(", ")
        ));
    }
    match g.date_format {
        Some(f) => global.message(format!(
            "dates: {f}{}",
            if g.date_ambiguous {
                " (day and month could be swapped: check)"
            } else {
                ""
            }
        )),
        None => global.message("dates: no common format reads every date: set date_format"),
    }
    global.message(format!("amounts: {}", g.number_format.describe()));
    match &g.won_stage {
        Some(s) => global.message(format!("won stage: \"{s}\"")),
        None => global.message("won stage: not found: set the plan's `where`"),
    }
    global.message(format!(
        "wrote payout.toml, plans/starter.toml, reps.csv and quotas.csv in {}",
        dir.display()
    ));
    global.message(format!(
        "next: fill in the amounts of quotas.csv and the names of reps.csv, review the lines marked CHECK, then: payout -w {} check",
        dir.join("payout.toml").display()
    ));
}
