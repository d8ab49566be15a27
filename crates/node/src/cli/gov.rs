//! `mpcd tx gov ...` and `mpcd query gov ...`: proposals from the JSON files of `governance/`,
//! deposits and votes.

use crate::cli::args::amount;
use clap::Subcommand;
use std::path::PathBuf;
use tss_app::gov::{ProposalFile, VoteOption};
use tss_app::Msg;

/// `tx gov`.
#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Submit a proposal from a JSON file (templates in governance/: rotate-network-key.json,
    /// change-params.json, freeze-keyset.json, unfreeze-keyset.json, remove-validator.json).
    SubmitProposal {
        /// The proposal file.
        file: PathBuf,
        /// Initial deposit in the chain's denom (the vote opens once the deposits reach
        /// gov.min_deposit).
        #[arg(long, value_parser = amount, default_value = "0")]
        deposit: u128,
    },
    /// Add to a proposal's deposit.
    Deposit {
        /// The proposal id.
        proposal: u64,
        /// The amount.
        #[arg(value_parser = amount)]
        amount: u128,
    },
    /// Vote as the operator of a bonded validator: yes, no, abstain or no_with_veto (a later
    /// vote replaces an earlier one).
    Vote {
        /// The proposal id.
        proposal: u64,
        /// The vote.
        #[arg(value_parser = |s: &str| s.parse::<VoteOption>())]
        option: VoteOption,
    },
}

/// `query gov`.
#[derive(Debug, Subcommand)]
pub enum GovQuery {
    /// Every proposal with its status.
    Proposals,
    /// One proposal: content, status, deposits, votes, the tally so far or the final one.
    Proposal {
        /// The proposal id.
        id: u64,
    },
}

/// The message of a `tx gov` command, checked without the chain.
pub fn message(cmd: GovCommand) -> anyhow::Result<Msg> {
    Ok(match cmd {
        GovCommand::SubmitProposal { file, deposit } => {
            let text = std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("FILE: {}: {e}", file.display()))?;
            let parsed: ProposalFile = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("FILE: {}: {e} (a proposal file has title, summary and content; see governance/README.md)", file.display()))?;
            let content = parsed.content().map_err(|e| anyhow::anyhow!("FILE: {}: {e}", file.display()))?;
            if parsed.title.trim().is_empty() || parsed.title.len() > tss_app::gov::MAX_TITLE || parsed.summary.len() > tss_app::gov::MAX_SUMMARY {
                anyhow::bail!("FILE: {}: the title must be 1 to {} bytes and the summary at most {}", file.display(), tss_app::gov::MAX_TITLE, tss_app::gov::MAX_SUMMARY);
            }
            Msg::GovSubmit { title: parsed.title, summary: parsed.summary, content, deposit }
        }
        GovCommand::Deposit { proposal, amount } => {
            if amount == 0 {
                anyhow::bail!("AMOUNT: a deposit of 0 does nothing");
            }
            Msg::GovDeposit { proposal, amount }
        }
        GovCommand::Vote { proposal, option } => Msg::GovVote { proposal, option },
    })
}
