use crate::compare::quote_labels;
use crate::finding::{Finding, FixIntent, ObjectKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    EnumMismatch {
        id: "enum-mismatch",
        summary: "An enumerated type's labels differ: labels missing, extra labels, or labels in another order (which are named).",
        rationale: "Inserting a missing label fails; an extra label lets values in that the application cannot handle; a different order changes `ORDER BY` and comparisons on the column.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');\n-- actual\nCREATE TYPE mood AS ENUM ('happy', 'sad');",
        fix: "Safe when labels are only missing (ALTER TYPE … ADD VALUE at the expected position). Removing or reordering labels rebuilds the type and rewrites the columns that use it: locking, and it fails if rows hold a removed label.",
    }
}

impl Rule for EnumMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().enums() {
            let Some((e, a)) = entry.both() else {
                continue;
            };
            if e.def.labels == a.def.labels {
                continue;
            }
            let (want, have) = (&e.def.labels, &a.def.labels);
            let missing: Vec<&String> = want.iter().filter(|l| !have.contains(l)).collect();
            let extra: Vec<&String> = have.iter().filter(|l| !want.contains(l)).collect();
            let shared_want: Vec<&String> = want.iter().filter(|l| have.contains(l)).collect();
            let shared_have: Vec<&String> = have.iter().filter(|l| want.contains(l)).collect();
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("missing labels {}", quote_labels(&missing)));
            }
            if !extra.is_empty() {
                parts.push(format!("extra labels {}", quote_labels(&extra)));
            }
            if shared_want != shared_have {
                let moved: Vec<&String> = shared_want
                    .iter()
                    .zip(&shared_have)
                    .filter(|(w, h)| w != h)
                    .map(|(w, _)| *w)
                    .collect();
                parts.push(format!("labels reordered ({})", quote_labels(&moved)));
            }
            let only_additions = extra.is_empty() && shared_want == shared_have;
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Enum),
                    format!(
                        "enum {}.{} differs: {} (expected {}; actual {})",
                        entry.schema,
                        a.name,
                        parts.join("; "),
                        quote_labels(want),
                        quote_labels(have)
                    ),
                    FixIntent::AlterEnum,
                )
                .values(json(e.def), json(a.def))
                .hint(if only_additions {
                    format!(
                        "add {} to enum {}.{}",
                        quote_labels(&missing),
                        entry.schema,
                        a.name
                    )
                } else {
                    format!(
                        "rebuild enum {}.{} with the expected labels (rows holding removed labels must change first)",
                        entry.schema, a.name
                    )
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EnumMismatch;
    use crate::rules::testing::*;

    fn with_labels(labels: &[&str]) -> driftless_model::Snapshot {
        let mut s = fixture();
        public(&mut s).enums.get_mut("mood").unwrap().labels =
            labels.iter().map(|l| l.to_string()).collect();
        s
    }

    #[test]
    fn finds_missing_labels() {
        let findings = run_pair(&EnumMismatch, &fixture(), &with_labels(&["happy", "sad"]));
        let f = only(&findings, "enum-mismatch", "public.mood");
        assert_eq!(
            f.message,
            "enum public.mood differs: missing labels 'ok' (expected 'happy', 'ok', 'sad'; actual 'happy', 'sad')"
        );
        assert_eq!(f.hint.as_deref(), Some("add 'ok' to enum public.mood"));
        assert_eq!(f.fix, crate::FixIntent::AlterEnum);
    }

    #[test]
    fn finds_extra_and_reordered_labels() {
        let findings = run_pair(
            &EnumMismatch,
            &fixture(),
            &with_labels(&["sad", "ok", "happy", "angry"]),
        );
        let f = only(&findings, "enum-mismatch", "public.mood");
        assert_eq!(
            f.message,
            "enum public.mood differs: extra labels 'angry'; labels reordered ('happy', 'sad') (expected 'happy', 'ok', 'sad'; actual 'sad', 'ok', 'happy', 'angry')"
        );
        assert!(f
            .hint
            .as_deref()
            .unwrap()
            .starts_with("rebuild enum public.mood"));
    }

    #[test]
    fn finds_nothing_for_equal_labels() {
        assert!(run_pair(
            &EnumMismatch,
            &fixture(),
            &with_labels(&["happy", "ok", "sad"])
        )
        .is_empty());
    }
}
