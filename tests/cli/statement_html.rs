//! HTML statements (`run --out DIR --statements-html`): one self-contained page per rep and payout
//! period whose printed cent amounts add up to the printed totals. Amounts worked out by hand beside
//! each assertion.

use std::path::Path;

use crate::util::{dec, read, run_out, workspace};

/// The cells (tags removed) of every table row of `page` whose class is `class`.
fn rows(page: &str, class: &str) -> Vec<Vec<String>> {
    let open = format!("<tr class=\"{class}\">");
    page.split(&open)
        .skip(1)
        .map(|rest| {
            let row = &rest[..rest.find("</tr>").expect("a closed row")];
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').unwrap() + 1..];
                    let cell = &cell[..cell.find("</td>").unwrap()];
                    strip_tags(cell)
                })
                .collect()
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// The amount (last cell) of each row.
fn amounts(rows: &[Vec<String>]) -> Vec<&str> {
    rows.iter().map(|r| r.last().unwrap().as_str()).collect()
}

#[test]
fn printed_cents_add_up_with_a_rounding_line_and_deals_are_named() {
    // tests/cases/statement-html: 5% on every deal, January 2026.
    // L1 (Hélène Lefèvre): D1, D2, D3 10.10 each × 5% = 0.505 each, printed 0.51 (half away from
    // zero); earned 1.515, rounded to 1.52 = the payable. Printed lines 0.51 × 3 = 1.53, so a
    // rounding line of 1.52 − 1.53 = −0.01 makes them add up to the printed 1.52.
    let dir = run_out(
        &workspace("statement-html"),
        "2026-01",
        &["--statements-html"],
    );
    let page = read(dir.path(), "statements/2026-01/L1.html");
    let deals = rows(&page, "deal");
    assert_eq!(amounts(&deals), ["0.51", "0.51", "0.51"]);
    // Named by the mapped `deal_name` column ("Opportunity Name"), escaped, the id beside; D3 has
    // no name and shows its id once.
    assert_eq!(deals[0][1], "Fête &amp; Co &lt;renewal&gt; D1");
    assert!(page.contains("Fête &amp; Co &lt;renewal&gt; <span class=\"id\">D1</span>"));
    assert_eq!(deals[1][1], "Globex D2");
    assert_eq!(deals[2][1], "D3");
    assert_eq!(amounts(&rows(&page, "rounding")), ["-0.01"]);
    assert_eq!(amounts(&rows(&page, "total")), ["1.52"]);
    assert!(
        page.contains("Total payable for 2026-01: 1.52 USD"),
        "{page}"
    );
    // UTF-8 as written, declared, nothing fetched, no script.
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("Hélène Lefèvre"));
    assert!(
        !page.contains("<script") && !page.contains("http"),
        "{page}"
    );
    assert!(page.contains("@media print") && page.contains("table-header-group"));
    // The engine's own rounding line (+0.005) is folded into the page's rounding line.
    assert_eq!(page.matches("<tr class=\"rounding\">").count(), 1);

    // R2: D4 12,345.67 × 5% = 617.2835, printed 617.28 = the payable rounded: no rounding line.
    let page = read(dir.path(), "statements/2026-01/R2.html");
    assert_eq!(amounts(&rows(&page, "deal")), ["617.28"]);
    assert!(rows(&page, "rounding").is_empty(), "{page}");
    assert_eq!(amounts(&rows(&page, "total")), ["617.28"]);

    // Listed in the manifest, beside the CSV and Markdown statements.
    let manifest = read(dir.path(), "manifest.json");
    for file in ["L1.html", "L1.csv", "L1.md", "R2.html"] {
        assert!(
            manifest.contains(&format!("statements/2026-01/{file}")),
            "{file}"
        );
    }
}

#[test]
fn html_statements_go_beside_any_layout() {
    // Per period: the period's CSV and the pages; none: the pages alone.
    let dir = run_out(
        &workspace("statement-html"),
        "2026-01",
        &["--statements", "per-period", "--statements-html"],
    );
    assert!(dir.path().join("statements/2026-01.csv").exists());
    assert!(dir.path().join("statements/2026-01/L1.html").exists());
    assert!(!dir.path().join("statements/2026-01/L1.csv").exists());
    let dir = run_out(
        &workspace("statement-html"),
        "2026-01",
        &["--statements", "none", "--statements-html"],
    );
    let names: Vec<String> = std::fs::read_dir(dir.path().join("statements/2026-01"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["L1.html", "R2.html"]);
    assert!(!dir.path().join("statements/2026-01.csv").exists());
}

#[test]
fn a_template_replaces_the_page() {
    // The template sees the statement's values, escaped.
    let template = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        template.path(),
        "{{ rep_name }}|{% for p in plans %}{% for c in p.components %}{{ c.total }}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let dir = run_out(
        &workspace("statement-html"),
        "2026-01",
        &["--statements-template", template.path().to_str().unwrap()],
    );
    // L1's payable 1.52 (see above).
    assert_eq!(
        read(dir.path(), "statements/2026-01/L1.html"),
        "Hélène Lefèvre|1.52"
    );
}

#[test]
fn a_statement_of_the_example_shows_its_lines_and_pay_currency() {
    // examples/acme, March 2026: Priya Raman (A003, Sales Manager) earns a 1.5% / 2.5% override on
    // her team's deals. Her lines, rounded to cents: 1,996.07 + 4,170.11 + 3,215.30 + 1,468.50 +
    // 1,004.94 + 2,221.75 + 3,355.27 = 17,431.94; her payable is 32,906.96 earned − 15,475.03 paid
    // = 17,431.93, so a rounding line of −0.01.
    let dir = run_out("payout.toml", "2026-03", &["--statements-html"]);
    let page = read(dir.path(), "statements/2026-03/A003.html");
    assert_eq!(
        amounts(&rows(&page, "deal")),
        ["1,996.07", "4,170.11", "3,215.30", "1,468.50", "1,004.94", "2,221.75", "3,355.27"]
    );
    assert_eq!(amounts(&rows(&page, "rounding")), ["-0.01"]);
    assert_eq!(amounts(&rows(&page, "total")), ["17,431.93"]);
    assert!(page.contains("Total payable for 2026-03: 17,431.93 USD"));
    // Julien Lefèvre (A006) is paid in EUR: 20,033.69 USD ÷ 1.0929 (the EUR rate of 2026-03-31)
    // = 18,330.762...; rounded half away from zero to 18,330.76 EUR.
    let page = read(dir.path(), "statements/2026-03/A006.html");
    assert!(page.contains("Julien Lefèvre"));
    assert!(
        page.contains("Total payable for 2026-03: 20,033.69 USD"),
        "{page}"
    );
    assert!(page.contains("Paid in EUR: 18,330.76 EUR"), "{page}");
    // The example's payroll file pays him the same, in EUR, on April 10 (March 31 + the
    // workspace's 10 days); COMM is its code for `commission`.
    let payroll = read(dir.path(), "payroll.csv");
    assert!(
        payroll.contains("\nA006,2026-04-10,COMM,18330.76,EUR\n"),
        "{payroll}"
    );
    // Deals are named by the export's Opportunity Name (mapped to deal_name in payout.toml): Tyler
    // Brooks (A004) closed OPP-10100 "Globex - Cloud New Business" on 03/11/2026.
    let page = read(dir.path(), "statements/2026-03/A004.html");
    assert!(page.contains("Globex - Cloud New Business"), "{page}");
    // The measure `bookings` is labelled as a person reads it (label and value are adjacent cells).
    let text = strip_tags(&page);
    assert!(text.contains("Bookings to date97,589.00"), "{text}");
    // Julien Lefèvre (A006) crossed 100% with OPP-10088: the 220,420.85 counted before at T2's 7%
    // earns T3's 10%, 3% more: 220,420.85 × 3% = 6,612.6255 → 6,612.63.
    let page = read(dir.path(), "statements/2026-03/A006.html");
    let text = strip_tags(&page);
    assert!(
        text.contains("+3% on the 220,420.85 counted before (T2 → T3)6,612.63"),
        "{text}"
    );
    // On every page of the example, each component's printed lines add up to its printed total.
    let folder = dir.path().join("statements/2026-03");
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "html") {
            adds_up(&std::fs::read_to_string(&path).unwrap(), &path);
        }
    }
}

/// Each lines table's amounts (deal, modifier, payment and rounding lines) sum to its total row.
fn adds_up(page: &str, path: &Path) {
    let number = |text: &str| dec(&text.replace(',', ""));
    for table in page.split("<table class=\"lines\">").skip(1) {
        let body = &table[table.find("<tbody>").unwrap()..table.find("</table>").unwrap()];
        let (mut sum, mut total) = (rust_decimal::Decimal::ZERO, None);
        for row in body.split("<tr class=\"").skip(1) {
            let class = &row[..row.find('"').unwrap()];
            let cells = rows(&format!("<tr class=\"{row}"), class);
            let amount = number(cells[0].last().unwrap());
            match class {
                "total" => total = Some(amount),
                _ => sum += amount,
            }
        }
        assert_eq!(Some(sum), total, "{}", path.display());
    }
}

#[test]
fn a_deal_line_shows_its_value_the_credit_and_what_the_rate_applies_to() {
    // tests/cases/plan-currency, January 2026: R2's plan counts in EUR at 10%. D3 is 500 USD; the
    // cross rate is 1 ÷ 1.08 (the EUR rate) = 0.925926 to 6 decimals, so D3 credits
    // 500 × 0.925926 = 462.963 EUR, printed 462.96, and earns 462.963 × 10% = 46.2963 → 46.30.
    // D2 is in EUR already: 1,000.00 credited, no rate.
    // Cells: line, deal, date, deal value, credit, share, credited, tier, rate, amount.
    let dir = run_out(
        &workspace("plan-currency"),
        "2026-01",
        &["--statements-html"],
    );
    let page = read(dir.path(), "statements/2026-01/R2.html");
    let deals = rows(&page, "deal");
    assert_eq!(
        deals[0][3..7],
        ["1,000.00 EUR", "owner", "100%", "1,000.00"]
    );
    assert_eq!(
        deals[1][3..],
        [
            "500.00 USD × 0.925926",
            "owner",
            "100%",
            "462.96",
            "T1 [0, ∞)",
            "462.96 × 10%",
            "46.30"
        ]
    );
    // examples/acme, March 2026: Tyler Brooks (A004) closed OPP-10100, 35,089.00, crossing 50% of
    // his quota: 19,050.00 at T1's 4% = 762.00 and the other 35,089.00 − 19,050.00 = 16,039.00 at
    // T2's 8% = 1,283.12. The value, credit and share show on the first slice only, so a column
    // sum counts the deal once.
    let dir = run_out("payout.toml", "2026-03", &["--statements-html"]);
    let page = read(dir.path(), "statements/2026-03/A004.html");
    let deals = rows(&page, "deal");
    assert_eq!(
        deals[0][3..],
        [
            "35,089.00 USD",
            "owner",
            "100%",
            "35,089.00",
            "T1 [0%, 50%)",
            "19,050.00 × 4%",
            "762.00"
        ]
    );
    assert_eq!(
        deals[1][3..],
        [
            "",
            "",
            "",
            "",
            "T2 [50%, 100%)",
            "16,039.00 × 8%",
            "1,283.12"
        ]
    );
}
