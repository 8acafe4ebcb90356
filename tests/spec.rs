//! Every "SPEC §N" (or "§N.M") cited anywhere in the repository names a
//! section that `SPEC.md` has.

use std::fs;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The section numbers `SPEC.md` defines: `## 5. …` gives "5", `### 5.2 …`
/// gives "5.2", `#### 2.5.1 …` gives "2.5.1".
fn sections(spec: &str) -> Vec<String> {
    spec.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.trim_end_matches('.').to_string())
        .filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect()
}

/// The section numbers cited as `SPEC §N` or `SPEC §N.M…` in `text`.
fn citations(text: &str) -> Vec<String> {
    text.match_indices("SPEC §")
        .map(|(at, m)| {
            let rest = &text[at + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches('.').to_string()
        })
        // "SPEC §N" written about citations is not one.
        .filter(|n| !n.is_empty())
        .collect()
}

fn walk(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".git" | "corpus" | "artifacts" | "seeds"
            ) {
                walk(&path, found);
            }
        } else if [".rs", ".md", ".py", ".toml", ".json"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            let text = fs::read_to_string(&path).unwrap_or_default();
            for n in citations(&text) {
                found.push((path.display().to_string(), n));
            }
        }
    }
}

#[test]
fn every_cited_section_exists() {
    let spec = fs::read_to_string(Path::new(ROOT).join("SPEC.md")).unwrap();
    let have = sections(&spec);
    for n in 1..=10 {
        assert!(have.contains(&n.to_string()), "SPEC.md has no section {n}");
    }
    let mut cited = Vec::new();
    walk(Path::new(ROOT), &mut cited);
    assert!(cited.len() > 20, "only {} citations found", cited.len());
    let missing: Vec<_> = cited.iter().filter(|(_, n)| !have.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "cited sections missing from SPEC.md: {missing:?}"
    );
}

#[test]
fn the_scanner_reads_what_it_should() {
    assert_eq!(
        citations("see SPEC §5.2, and SPEC §8. SPEC §N"),
        ["5.2", "8"]
    );
    assert_eq!(
        sections("## 5. States\n### 5.2 Window\n#### 2.5.1 From\n# Title"),
        ["5", "5.2", "2.5.1"]
    );
}
