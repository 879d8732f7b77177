//! `payout forecast`.
use super::{Format, Global};
use clap::Args;
#[derive(Args, Debug)]
pub struct ForecastArgs {
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
pub fn run(_global: &Global, _args: &ForecastArgs) -> anyhow::Result<i32> {
    Ok(0)
}
