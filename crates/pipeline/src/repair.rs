//! Repairing the target: apply a plan under the fix lock, plan again when
//! another deploy changed the schema meanwhile, and judge the result.

use driftless_fixer::{apply, ApplyError, ApplyOptions, ApplyReport, FixPlan, PlanOptions};
use driftless_introspect::Database;
use driftless_rules::Report;

use crate::check::Checked;
use crate::error::Result;

/// How often a repair whose plan went stale under the lock plans again.
const MAX_REPLANS: usize = 3;

/// The outcome of [`Checked::repair`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Repair {
    /// The plan that ran (planned again when the schema changed while the
    /// repair waited for the lock).
    pub plan: FixPlan,
    /// What applying did; `None` when nothing was left to apply.
    pub applied: Option<ApplyReport>,
    /// The rules run on the schema read back after applying (or on the
    /// schema as it was, when nothing was applied).
    pub after: Report,
    /// How often the plan was made again.
    pub replans: usize,
}

impl Repair {
    /// Whether the target now matches the expected side: no finding fails.
    pub fn converged(&self) -> bool {
        !self.after.failed()
    }
}

impl Checked {
    /// Applies `plan` to the target (opened read-write, under the fix lock,
    /// in one transaction where the database has transactional DDL), then
    /// runs the rules on the schema read back. When the schema changed
    /// while the repair waited for the lock, the target is read again and
    /// planned anew with `plan_options` (a few times at most).
    pub async fn repair(
        &mut self,
        plan: FixPlan,
        plan_options: &PlanOptions,
        options: &ApplyOptions,
    ) -> Result<Repair> {
        // Boxed: applying, reading back and judging is a large future.
        Box::pin(self.apply_and_judge(plan, plan_options, options)).await
    }

    async fn apply_and_judge(
        &mut self,
        mut plan: FixPlan,
        plan_options: &PlanOptions,
        options: &ApplyOptions,
    ) -> Result<Repair> {
        let mut replans = 0;
        if plan.is_empty() {
            return Ok(self.unchanged(plan, replans));
        }
        let mut db = Database::connect(&self.target, self.read_write()).await?;
        let applied = loop {
            match apply(&mut db, &plan, options).await {
                Err(ApplyError::Stale { .. })
                    if replans < MAX_REPLANS
                        && !options.interrupt.as_ref().is_some_and(|i| i.is_triggered()) =>
                {
                    replans += 1;
                    tracing::info!(
                        "the schema changed while this fix waited for the lock: planning again"
                    );
                    self.reload_actual().await?;
                    plan = self.plan(plan_options)?;
                    if plan.is_empty() {
                        break None;
                    }
                }
                other => break Some(other),
            }
        };
        let _ = db.close().await;
        let Some(applied) = applied else {
            return Ok(self.unchanged(plan, replans));
        };
        let applied = applied?;
        let after = self.recheck_after_fix(&applied.after).await?;
        Ok(Repair {
            plan,
            applied: Some(applied),
            after,
            replans,
        })
    }

    fn unchanged(&self, plan: FixPlan, replans: usize) -> Repair {
        Repair {
            plan,
            applied: None,
            after: self.report.clone(),
            replans,
        }
    }
}
