//! Runs protocol sessions among participants held in one process, exactly as the chain would
//! run them over vote extensions: every dealer deals, every dealing is publicly verified, every
//! recipient opens its shares and complains about bad ones, complaints are judged, and the
//! qualified set fixes the result. No step is skipped or simulated; only the transport (a
//! function call instead of a block) differs. Used by tests, benchmarks and the lifecycle
//! example; the engine drives the same functions round by round.

use crate::committee::{participant_id, Committee, Member};
use crate::complaint::{complain, judge, Complaint, Verdict};
use crate::dealing::{deal, open_shares, verify_dealings, Dealing};
use crate::error::Error;
use crate::finalize::{finalize_public, finalize_share, qualify};
use crate::keys::{KeyShare, PublicKeySet};
use crate::session::SessionContext;
use crate::transport::TransportSecret;
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};
use std::collections::{BTreeMap, BTreeSet};

/// A participant: identity, transport key and (once it holds one) its current key share.
#[derive(Debug)]
pub struct LocalParticipant {
    /// Identifier derived from the address.
    pub id: Identifier,
    /// Communication key.
    pub transport: TransportSecret,
    /// Current share of the key, if any.
    pub share: Option<KeyShare>,
}

/// Faults to inject into one session.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Dealers that corrupt the share they send to the first other recipient.
    pub corrupt_share: BTreeSet<Identifier>,
    /// Recipients that file a complaint against the first honest dealer whatever it sent.
    pub false_complaint: BTreeSet<Identifier>,
    /// Dealers that deal nothing (offline).
    pub silent: BTreeSet<Identifier>,
}

/// What a session decided.
#[derive(Clone, Debug)]
pub struct SessionReport {
    /// The resulting public key set.
    pub public: PublicKeySet,
    /// Dealers whose dealings were used.
    pub qualified: Vec<Identifier>,
    /// Dealers disqualified (invalid dealing or upheld complaint).
    pub disqualified: Vec<Identifier>,
    /// Complainers blamed for false complaints.
    pub blamed: Vec<Identifier>,
}

/// Participants in one process.
#[derive(Debug, Default)]
pub struct LocalNetwork {
    /// Everyone, by identifier.
    pub participants: BTreeMap<Identifier, LocalParticipant>,
}

impl LocalNetwork {
    /// Adds a participant for a validator address, with a fresh transport key.
    pub fn add<R: RngCore + CryptoRng>(&mut self, address: &[u8], rng: &mut R) -> Result<Identifier, Error> {
        let id = participant_id(address)?;
        self.participants.insert(id, LocalParticipant { id, transport: TransportSecret::generate(rng), share: None });
        Ok(id)
    }

    /// A committee of the given participants.
    pub fn committee(&self, ids: &[Identifier], threshold: u16) -> Result<Committee, Error> {
        let members = ids
            .iter()
            .map(|id| {
                let p = self.participants.get(id).ok_or(Error::UnknownParticipant(*id))?;
                Ok(Member { id: *id, transport: p.transport.public() })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Committee::new(members, threshold)
    }

    /// Each dealer's dealing (dealers need their current share for a reshare).
    pub fn dealings<R: RngCore + CryptoRng>(&self, ctx: &SessionContext, faults: &Faults, rng: &mut R) -> Result<Vec<Dealing>, Error> {
        let mut out = Vec::new();
        for dealer in ctx.dealers() {
            if faults.silent.contains(&dealer) {
                continue;
            }
            let p = self.participants.get(&dealer).ok_or(Error::UnknownParticipant(dealer))?;
            let mut d = deal(ctx, dealer, p.share.as_ref(), rng)?;
            if faults.corrupt_share.contains(&dealer) {
                let victim = ctx.recipients().ids().position(|id| id != dealer);
                if let Some(sealed) = victim.and_then(|i| d.encrypted_shares.get_mut(i)) {
                    sealed[0] ^= 0x55;
                }
            }
            out.push(d);
        }
        Ok(out)
    }

    /// Runs a whole session and installs the new shares in the recipients.
    pub fn run<R: RngCore + CryptoRng>(&mut self, ctx: &SessionContext, faults: &Faults, rng: &mut R) -> Result<SessionReport, Error> {
        let dealings = self.dealings(ctx, faults, rng)?;
        self.conclude(ctx, dealings, faults, rng)
    }

    /// Concludes a session from the dealings that were published.
    pub fn conclude<R: RngCore + CryptoRng>(
        &mut self,
        ctx: &SessionContext,
        dealings: Vec<Dealing>,
        faults: &Faults,
        rng: &mut R,
    ) -> Result<SessionReport, Error> {
        // Round 1: public verification of every dealing.
        let results = verify_dealings(ctx, &dealings);
        let mut disqualified: BTreeSet<Identifier> = BTreeSet::new();
        let mut valid: BTreeMap<Identifier, Dealing> = BTreeMap::new();
        for (d, r) in dealings.into_iter().zip(results) {
            match r {
                Ok(()) => {
                    valid.insert(d.dealer, d);
                }
                Err(_) => {
                    disqualified.insert(d.dealer);
                }
            }
        }
        // Round 2: every recipient opens its shares and complains about bad ones.
        let valid_refs: Vec<&Dealing> = valid.values().collect();
        let mut opened = BTreeMap::new();
        let mut complaints: Vec<Complaint> = Vec::new();
        for recipient in ctx.recipients().ids() {
            let p = self.participants.get(&recipient).ok_or(Error::UnknownParticipant(recipient))?;
            let (good, bad) = open_shares(ctx, &valid_refs, &recipient, &p.transport, rng)?;
            for dealer in bad {
                if let Some(d) = valid.get(&dealer) {
                    complaints.push(complain(ctx, d, &recipient, &p.transport, rng)?);
                }
            }
            if faults.false_complaint.contains(&recipient) {
                if let Some(d) = valid.values().find(|d| d.dealer != recipient && !faults.corrupt_share.contains(&d.dealer)) {
                    complaints.push(complain(ctx, d, &recipient, &p.transport, rng)?);
                }
            }
            opened.insert(recipient, good);
        }
        // Round 3: judge complaints, identically on every node.
        let mut blamed = BTreeSet::new();
        for c in &complaints {
            let Some(d) = valid.get(&c.dealer) else { continue };
            match judge(ctx, d, c) {
                Verdict::Upheld { dealer } => {
                    disqualified.insert(dealer);
                }
                Verdict::Rejected { complainer } => {
                    blamed.insert(complainer);
                }
            }
        }
        // Finalize: qualified set, public key set, then each recipient's share.
        let valid_ids: BTreeSet<Identifier> = valid.keys().copied().collect();
        let qualified = qualify(ctx, &valid_ids, &disqualified)?;
        let public = finalize_public(ctx, &valid, &qualified)?;
        let mut new_shares = Vec::new();
        for recipient in ctx.recipients().ids() {
            let p = self.participants.get(&recipient).ok_or(Error::UnknownParticipant(recipient))?;
            let subs = opened.get(&recipient).ok_or(Error::UnknownParticipant(recipient))?;
            new_shares.push(finalize_share(ctx, &public, recipient, subs, &qualified, p.share.as_ref())?);
        }
        // Switch: the old shares are dropped (zeroized) as the new ones are installed.
        for share in new_shares {
            if let Some(p) = self.participants.get_mut(&share.id()) {
                p.share = Some(share);
            }
        }
        Ok(SessionReport { public, qualified, disqualified: disqualified.into_iter().collect(), blamed: blamed.into_iter().collect() })
    }
}
