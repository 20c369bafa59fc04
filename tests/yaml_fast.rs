//! The fast YAML scanner against the full parser: on every document of the repository's
//! scenarios, test data and examples, and on snippets written to corner it, the scanner either
//! declines or gives exactly the full parser's events (values, styles, and the positions of
//! every node). `SHOW_DECLINED=1 cargo test --test yaml_fast -- --nocapture` lists the shipped
//! documents the scanner leaves to the parser.

use kubesim::yaml::events::{Ev, Event, parse_fast, parse_full};
use std::path::Path;

/// Node starts keep their positions; ends are compared by kind only.
fn comparable(events: &[Event<'_>]) -> Vec<String> {
    events
        .iter()
        .map(|e| match &e.ev {
            Ev::MapEnd | Ev::SeqEnd => format!("{:?}", e.ev),
            ev => format!("{ev:?} @{}:{}", e.line, e.column),
        })
        .collect()
}

/// Checks one document; true when the scanner read it.
fn agree(doc: &str, what: &str) -> bool {
    let Some(fast) = parse_fast(doc) else {
        return false;
    };
    let full = parse_full(doc).unwrap_or_else(|e| {
        panic!("{what}: the scanner read a document the parser refuses ({e:?}):\n{doc}")
    });
    let (fast, full) = (comparable(&fast), comparable(&full));
    if let Some(i) = (0..fast.len().max(full.len())).find(|&i| fast.get(i) != full.get(i)) {
        panic!(
            "{what}: event {i} differs\n scanner: {:?}\n parser:  {:?}\n{doc}",
            fast.get(i),
            full.get(i)
        );
    }
    true
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn the_scanner_agrees_with_the_parser_on_every_shipped_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/data", "examples"] {
        if root.join(dir).is_dir() {
            yaml_files(&root.join(dir), &mut files);
        }
    }
    files.sort();
    let (mut read, mut all) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, doc) in text.split("\n---\n").enumerate() {
            let doc = doc.strip_prefix("---\n").unwrap_or(doc);
            if doc.trim().is_empty() || doc.contains("\n---") {
                continue;
            }
            let doc = format!("{}\n", doc.trim_end_matches('\n'));
            all += 1;
            let ok = agree(&doc, &format!("{} document {i}", file.display()));
            if !ok && std::env::var("SHOW_DECLINED").is_ok() {
                eprintln!("declined: {} document {i}", file.display());
            }
            if ok {
                read += 1;
            }
        }
    }
    assert!(all > 50, "{all} documents");
    // Only documents with anchors are left to the full parser.
    assert!(
        read * 10 >= all * 9,
        "the scanner read only {read} of {all} documents"
    );
}

#[test]
fn corner_cases_agree_or_are_declined() {
    let snippets = [
        "a: 1\nb:\nc: ~\nd: null\n",
        "a:\n  b:\n  - x\n  - y: 1\n    z: 2\n  -\n    w: 3\nc: [1, 'two', \"three\", {x: y}]\n",
        "k:\n- a\n- b # comment\n# comment\n- 'it''s'\n",
        "s: |\n  line one\n    indented\n\n  after blank\nt: |-\n  stripped\nu: after\n",
        "list:\n- |\n  one\n- name: x\n  script: |\n    echo hi\n    echo there\n  after: 1\n",
        "\"quoted key\": v\n'single': \"esc \\\" \\\\ \\n \\u00e9\"\n",
        "url: http://example.com/a#frag\nport: 8080\nneg: -1\ndash: -c\n",
        "e: {}\nf: []\ng: {a: {b: [c, {d: e}]}}\n",
        "a: b: c\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: >\n  folded\n",
        "a: multi\n  line\n",
        "a: \"open\n  quote\"\n",
        "- - a\n  - b\n- c\n",
        "? complex\n: key\n",
        "a:\n  - x\n b: 1\n",
        "a: 1\n  b: 2\n",
        "top: [a, b\n  , c]\n",
        "k: v   \n\nk2:    v2 # c\n",
        "empty: ''\nspace: ' '\n",
        "a: |\n  x\n\n\nb: 1\n",
        "a:\n  |\n  x\n",
        "- a\n -b\n",
        "a: 1\n# trailing comment\n",
        "key with spaces: value with spaces\n",
        "a: x:y\nb: '#not comment'\n",
        "a: [x, y]: z\n",
        "a: {b: }\n",
        "a: {b}\n",
        "a: [b: c]\n",
        "d: >-\n  one\n  two\n\n  three\n\n\n  four\ne: 1\n",
        "- >\n  x\n  y\n- z\n",
        "d: >\n  one\n    more indented\n  two\n",
        "k: |+\n  kept\n\nn: 1\n",
        "- \n  a: 1\n",
        "-\n- b\n",
        "m:\n  # comment\n  a: 1\n",
    ];
    for (i, doc) in snippets.iter().enumerate() {
        agree(doc, &format!("snippet {i}"));
    }
    // The common shapes are read by the scanner, not declined.
    for doc in [
        snippets[0],
        snippets[1],
        snippets[2],
        snippets[3],
        snippets[4],
        snippets[7],
        snippets[31],
    ] {
        assert!(parse_fast(doc).is_some(), "declined:\n{doc}");
    }
}

#[test]
fn a_generated_pod_manifest_is_read_by_the_scanner() {
    let doc = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p-0\n  labels: {app: web, tier: t0}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    resources:\n      requests: {cpu: 100m, memory: 128Mi}\n";
    assert!(agree(doc, "pod"));
}
