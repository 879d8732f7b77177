//! A self-contained page of titled tables (the what-if commands' grids) with optional charts above
//! them: the insights report's style sheet ([`super::STYLE`]), no script, nothing fetched.
//!
//! Invariants: every cell is HTML-escaped by the template engine; charts are inline SVG from
//! [`super::svg`]; the tables hold exactly the cells the terminal tables show.

use minijinja::{context, Environment, Value};
use serde::Serialize;

use crate::report::whatif::Grid;

const TEMPLATE: &str = include_str!("grids.html");

/// A chart above the tables: its title and SVG markup.
pub struct Chart {
    pub title: String,
    pub svg: String,
}

#[derive(Serialize)]
struct GridView<'a> {
    title: &'a str,
    headers: &'a [String],
    right: &'a [usize],
    rows: &'a [Vec<String>],
}

/// The page: a title, a line under it, the charts, then every grid with rows.
pub fn render_grids_page(
    title: &str,
    subtitle: &str,
    charts: &[Chart],
    grids: &[Grid],
) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("grids.html", TEMPLATE)?;
    let charts: Vec<Value> = charts
        .iter()
        .map(|c| context! { title => c.title, svg => Value::from_safe_string(c.svg.clone()) })
        .collect();
    let grids: Vec<GridView> = grids
        .iter()
        .filter(|g| !g.rows.is_empty())
        .map(|g| GridView {
            title: &g.title,
            headers: &g.headers,
            right: &g.right,
            rows: &g.rows,
        })
        .collect();
    let page = env
        .get_template("grids.html")?
        .render(context! { style => Value::from_safe_string(super::STYLE.to_string()), title, subtitle, charts, grids })?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_and_numbers_right_aligned() {
        let grid = Grid {
            title: "Totals".into(),
            headers: vec![String::new(), "current".into()],
            right: vec![1],
            rows: vec![vec!["<b>payout</b>".into(), "1,000.00".into()]],
        };
        let page = render_grids_page("T", "sub", &[], &[grid]).unwrap();
        assert!(page.contains("<td>&lt;b&gt;payout&lt;"), "{page}");
        assert!(page.contains(r#"<td class="num">1,000.00</td>"#), "{page}");
        assert!(!page.contains("<script"));
    }
}
