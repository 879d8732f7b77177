//! Derived-value expressions: any text → `expr::parse` returns an expression or an error whose offset
//! lies inside the text; a parsed expression evaluates (exactly, with checked arithmetic) to a value,
//! an empty value, or an error, never a panic, with columns holding awkward values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payout::plan::expr;
use rust_decimal::Decimal;

fn column(name: &str) -> Option<Decimal> {
    match name {
        "amount" => Some(Decimal::new(123_456, 2)),
        "margin" => Some(Decimal::new(-1, 2)),
        "quantity" => Some(Decimal::ZERO),
        "big" => Some(Decimal::MAX),
        "small" => Some(Decimal::MIN),
        "tiny" => Some(Decimal::new(1, 28)),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match expr::parse(text) {
        Ok(e) => {
            let _ = e.columns();
            let _ = e.eval(&column);
        }
        Err(err) => {
            assert!(
                err.offset <= text.chars().count(),
                "error offset {} beyond the text ({} characters)",
                err.offset,
                text.chars().count()
            );
        }
    }
});
