//! report.html in a real browser: headless Chromium renders the report of a run; the page
//! must look like something (the screenshot is not blank), every plot image must decode, the
//! page must log no console error (a fetch the Content-Security-Policy blocks is one), and on
//! a phone's width nothing may overflow sideways.
//!
//! The browser is `$KUBESIM_BROWSER`, else `chromium`, `chromium-browser` or `google-chrome`
//! on the PATH (`.ci/run` installs Debian's `chromium`). Without one the test fails, naming
//! the package to install; `KUBESIM_SKIP_BROWSER=1` skips it on purpose.

mod common;

use common::{repo, run};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn browser() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("KUBESIM_BROWSER") {
        return Some(PathBuf::from(b));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Headless Chromium on `page` with these extra flags: (stdout, stderr).
fn chromium(browser: &Path, page: &Path, flags: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(flags)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("the browser starts");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The console messages the page logged (Chromium logs them all as `INFO:CONSOLE`, whatever
/// their level; a page without a script logs none unless something failed, such as a fetch
/// the Content-Security-Policy blocked).
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Content Security Policy"))
        .collect()
}

/// A copy of the report with a script (allowed in the copy only) that checks every image
/// decoded and that nothing overflows the viewport, and writes its verdict into the page.
fn instrumented(report: &Path, out: &Path) {
    let html = fs::read_to_string(report).unwrap();
    let html = html.replace(
        "style-src 'unsafe-inline'",
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    );
    let check = r#"<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const bad = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  const out = document.createElement('pre');
  out.id = 'kubesim-check';
  out.textContent = JSON.stringify({images: imgs.length, undecoded: bad, overflow: wide,
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth});
  document.body.appendChild(out);
});
</script>
</body>"#;
    fs::write(out, html.replace("</body>", check)).unwrap();
}

fn verdict(dom: &str) -> serde_json::Value {
    let start = dom
        .find("<pre id=\"kubesim-check\">")
        .expect("the check ran")
        + 24;
    let end = start + dom[start..].find("</pre>").unwrap();
    serde_json::from_str(&dom[start..end].replace("&quot;", "\"")).unwrap()
}

#[test]
fn the_report_renders_in_a_real_browser() {
    if std::env::var_os("KUBESIM_SKIP_BROWSER").is_some() {
        eprintln!("browser test skipped: KUBESIM_SKIP_BROWSER is set");
        return;
    }
    let Some(browser) = browser() else {
        panic!(
            "no browser found: install Chromium (Debian: apt-get install chromium), point \
             KUBESIM_BROWSER at one, or set KUBESIM_SKIP_BROWSER=1 to skip this test"
        );
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run(&repo("scenarios/quickstart.yaml"), &out, &[]);
    let report = out.join("report.html");
    let plots = fs::read_dir(out.join("plots")).unwrap().count() / 2;

    // The report itself: a screenshot that is not blank, and no console error.
    let shot = tmp.path().join("shot.png");
    let (_, stderr) = chromium(
        &browser,
        &report,
        &[
            "--window-size=1200,1600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let errors = console_errors(&stderr);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let img = image::open(&shot).expect("a screenshot").to_rgb8();
    let background = *img.get_pixel(0, 0);
    let drawn = img.pixels().filter(|p| **p != background).count();
    let share = drawn as f64 / (img.width() * img.height()) as f64;
    assert!(
        share > 0.05,
        "the screenshot is nearly blank ({share:.3} drawn)"
    );
    let colours: std::collections::BTreeSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() > 50,
        "{} colours: plots missing?",
        colours.len()
    );

    // Every plot decoded, on a wide screen and on a phone, where nothing overflows.
    let checked = tmp.path().join("checked.html");
    instrumented(&report, &checked);
    for size in ["--window-size=1400,900", "--window-size=390,844"] {
        let (dom, stderr) = chromium(&browser, &checked, &[size, "--dump-dom"]);
        let v = verdict(&dom);
        assert_eq!(v["images"], plots, "{size}: {v}");
        assert_eq!(v["undecoded"], serde_json::json!([]), "{size}: {v}");
        assert_eq!(
            v["overflow"], false,
            "{size}: the page is wider than the screen: {v}"
        );
        let errors = console_errors(&stderr);
        assert!(errors.is_empty(), "{size}: console errors: {errors:#?}");
    }

    // Dark mode: the page's background turns dark.
    let dark = tmp.path().join("dark.png");
    chromium(
        &browser,
        &report,
        &[
            "--window-size=800,600",
            "--force-dark-mode",
            "--blink-settings=preferredColorScheme=0",
            &format!("--screenshot={}", dark.display()),
        ],
    );
    let img = image::open(&dark).expect("a screenshot").to_rgb8();
    let corner = img.get_pixel(2, 2).0;
    assert!(
        corner.iter().all(|&c| c < 60),
        "dark mode background is {corner:?}"
    );
}
