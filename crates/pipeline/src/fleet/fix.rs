//! Fixing a fleet by group: one plan per drift group, reviewed once, and
//! applied to every member, each in its own transaction and under its own
//! lock; a member whose plan is not the group's is not touched.

use std::collections::BTreeMap;

use driftless_fixer::{ApplyOptions, FixPlan, PlanOptions, Reason, Safety};
use driftless_model::{renamed_schema, ObjectRef};
use futures::stream::{self, StreamExt};

use super::target::TargetCheck;
use super::Fleet;
use crate::error::{Error, Result};
use crate::repair::Repair;

/// A drift group with its plan, ready to apply to its members.
#[derive(Debug)]
#[non_exhaustive]
pub struct GroupPlan {
    /// The group's drift fingerprint.
    pub fingerprint: String,
    /// The member the plan was made for (the first by name); the other
    /// members get the same steps under their own names.
    pub representative: String,
    /// The plan, as made for `representative`.
    pub plan: FixPlan,
    /// Every member, the representative included, sorted.
    pub targets: Vec<String>,
    members: Vec<TargetCheck>,
}

/// What repairing one member did.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetFix {
    /// The member.
    pub target: String,
    /// The repair, or why the member was not repaired.
    pub result: Result<Repair>,
}

/// The steps of a plan without the names that differ between members:
/// what each does to which object (named as the expected schema names it),
/// how risky, and which findings it fixes.
type Shape = Vec<(ObjectRef, String, Safety, Vec<Reason>)>;

fn shape(plan: &FixPlan, rename: Option<&(String, String)>) -> Shape {
    let canonical = |value: &ObjectRef| match rename {
        Some((own, expected)) => {
            renamed_schema(value, own, expected).unwrap_or_else(|_| value.clone())
        }
        None => value.clone(),
    };
    plan.steps
        .iter()
        .chain(&plan.withheld)
        .map(|s| {
            let fixes = s
                .fixes
                .iter()
                .map(|r| Reason {
                    rule: r.rule.clone(),
                    object: canonical(&r.object),
                    message: match rename {
                        Some((own, expected)) => {
                            driftless_model::rename_schema_in_text(&r.message, own, expected)
                        }
                        None => r.message.clone(),
                    },
                })
                .collect();
            (canonical(&s.object), s.action.clone(), s.safety, fixes)
        })
        .collect()
}

impl Fleet {
    /// Groups the drifted, checked targets of `checks` by their drift and
    /// plans each group once, for its first member. Clean and failed
    /// targets are left out (they have nothing to apply).
    pub fn plan_groups(
        &self,
        checks: Vec<TargetCheck>,
        options: &PlanOptions,
    ) -> Result<Vec<GroupPlan>> {
        let mut by_print: BTreeMap<String, Vec<TargetCheck>> = BTreeMap::new();
        for check in checks {
            if check.result.as_ref().is_ok_and(|c| c.drifted()) {
                let print = check.fingerprint().unwrap_or_default();
                by_print.entry(print).or_default().push(check);
            }
        }
        let mut plans = Vec::new();
        for (fingerprint, mut members) in by_print {
            members.sort_by(|a, b| a.target.cmp(&b.target));
            let Some(Ok(first)) = members.first().map(|m| m.result.as_ref()) else {
                continue;
            };
            let plan = first.plan(options)?;
            plans.push(GroupPlan {
                fingerprint,
                representative: members[0].target.clone(),
                plan,
                targets: members.iter().map(|m| m.target.clone()).collect(),
                members,
            });
        }
        plans.sort_by(|a, b| {
            (b.targets.len(), &a.fingerprint).cmp(&(a.targets.len(), &b.fingerprint))
        });
        Ok(plans)
    }
}

impl GroupPlan {
    /// Repairs every member, at most `jobs` at once: each planned for its
    /// own schema and applied only when its plan has the group's steps.
    pub async fn apply(
        self,
        plan_options: &PlanOptions,
        apply_options: &ApplyOptions,
        jobs: usize,
    ) -> Vec<TargetFix> {
        let group = shape(&self.plan, self.members[0].rename.as_ref());
        let group = &group;
        // Members in one database (tenant schemas) take its fix lock in
        // turn: applied one at a time, none waits out its lock timeout.
        let jobs = if self.one_database() { 1 } else { jobs };
        stream::iter(self.members)
            .map(|member| async move {
                let target = member.target.clone();
                let result = repair_member(member, group, plan_options, apply_options).await;
                TargetFix { target, result }
            })
            .buffer_unordered(jobs.max(1))
            .collect()
            .await
    }
}

impl GroupPlan {
    fn one_database(&self) -> bool {
        let mut urls = self
            .members
            .iter()
            .filter_map(|m| m.result.as_ref().ok())
            .map(|c| c.target.to_string());
        urls.next().is_some_and(|first| urls.all(|u| u == first))
    }
}

async fn repair_member(
    member: TargetCheck,
    group: &Shape,
    plan_options: &PlanOptions,
    apply_options: &ApplyOptions,
) -> Result<Repair> {
    let TargetCheck { result, rename, .. } = member;
    let mut checked = result?;
    let plan = checked.plan(plan_options)?;
    if &shape(&plan, rename.as_ref()) != group {
        return Err(Error::Target(
            "its plan is not its group's (its data asks for other steps): nothing was applied; plan it alone".into(),
        ));
    }
    let options = apply_options.clone().with_introspect(checked.introspect());
    checked.repair(plan, plan_options, &options).await
}
