//! Finalizing a session: from the qualified dealings to the new public key set (public data
//! only, identical on every node) and to this participant's new secret share (local).
//!
//! | kind    | new share `s'_j`                         | new verifying share `Y'_j`                          |
//! |---------|------------------------------------------|-----------------------------------------------------|
//! | DKG     | `sum_{i in Q} f_i(x_j)`                  | `sum_{i in Q} sum_k x_j^k C_ik`                      |
//! | refresh | `s_j + sum_{i in Q} f_i(x_j)`            | `Y_j + sum_{i in Q} sum_k x_j^k C_ik`                |
//! | reshare | `sum_{i in Q} lambda_i^Q f_i(x_j)`       | `sum_{i in Q} lambda_i^Q sum_k x_j^k C_ik`           |

use crate::committee::id_scalar;
use crate::dealing::{Dealing, SubShare};
use crate::error::Error;
use crate::group::{self, lagrange_at_zero, powers, project, CanonicalPoint};
use crate::keys::{KeyShare, PublicKeySet};
use crate::session::{SessionContext, SessionKind};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use frost_ed25519::Identifier;
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

/// Chooses the qualified set `Q`: publicly valid dealers not disqualified by an upheld
/// complaint, in identifier order. A DKG or refresh uses all of them; a reshare uses the first
/// `t_old` (any `t_old` sub-sharings of old shares interpolate the same secret, and a fixed
/// choice keeps every node's result identical).
pub fn qualify(ctx: &SessionContext, valid: &BTreeSet<Identifier>, disqualified: &BTreeSet<Identifier>) -> Result<Vec<Identifier>, Error> {
    let candidates: Vec<Identifier> = valid.difference(disqualified).copied().filter(|d| ctx.is_dealer(d)).collect();
    let need = ctx.dealings_needed();
    if candidates.len() < need {
        return Err(Error::NotEnoughContributions { have: candidates.len(), need });
    }
    Ok(match ctx.kind() {
        SessionKind::Reshare { .. } => candidates.into_iter().take(need).collect(),
        _ => candidates,
    })
}

/// The weight of each qualified dealer: 1, or its Lagrange coefficient for a reshare.
fn weights(ctx: &SessionContext, qualified: &[Identifier]) -> Result<Vec<Scalar>, Error> {
    match ctx.kind() {
        SessionKind::Reshare { .. } => {
            let xs: Vec<Scalar> = qualified.iter().map(id_scalar).collect();
            lagrange_at_zero(&xs).ok_or(Error::InvalidCommittee("qualified dealers must be distinct"))
        }
        _ => Ok(vec![Scalar::ONE; qualified.len()]),
    }
}

/// Computes the new public key set from public data alone.
pub fn finalize_public(ctx: &SessionContext, dealings: &BTreeMap<Identifier, Dealing>, qualified: &[Identifier]) -> Result<PublicKeySet, Error> {
    let t = usize::from(ctx.recipients().threshold());
    let w = weights(ctx, qualified)?;
    let chosen: Vec<&Dealing> = qualified
        .iter()
        .map(|id| dealings.get(id).filter(|d| d.commitments.len() == t).ok_or(Error::InvalidDealing { dealer: *id, reason: "qualified dealing missing or malformed" }))
        .collect::<Result<_, _>>()?;
    if chosen.len() < ctx.dealings_needed() {
        return Err(Error::NotEnoughContributions { have: chosen.len(), need: ctx.dealings_needed() });
    }
    // A_k = sum_i w_i C_ik: the commitments of the combined polynomial.
    let combined: Vec<EdwardsPoint> = (0..t)
        .map(|k| match ctx.kind() {
            SessionKind::Reshare { .. } => EdwardsPoint::vartime_multiscalar_mul(
                &w,
                chosen.iter().map(|d| d.commitments.get(k).map(|c| *c.point()).unwrap_or_default()),
            ),
            _ => chosen.iter().filter_map(|d| d.commitments.get(k)).fold(EdwardsPoint::identity(), |acc, c| acc + c.point()),
        })
        .collect();
    let a0 = project(combined.first().ok_or(Error::InvalidCommittee("threshold is zero"))?);
    let group_key = match ctx.kind() {
        SessionKind::Repair { .. } => return Err(Error::InvalidCommittee("a repair makes no new key set (see crate::repair)")),
        SessionKind::Dkg => a0,
        SessionKind::Refresh { previous } | SessionKind::Reshare { previous } => {
            let expected = previous.group_key.point();
            let shift = if matches!(ctx.kind(), SessionKind::Refresh { .. }) { a0 } else { a0 - expected };
            if !shift.is_identity() {
                return Err(Error::InvalidCommittee("dealings do not preserve the group key"));
            }
            *expected
        }
    };
    if group_key.is_identity() {
        return Err(Error::InvalidCommittee("group key is the identity"));
    }
    let mut verifying_shares = BTreeMap::new();
    for id in ctx.recipients().ids() {
        let mut y = group::projected_msm(powers(&id_scalar(&id), t), combined.iter());
        if let SessionKind::Refresh { previous } = ctx.kind() {
            y += previous.verifying_share(&id).ok_or(Error::UnknownParticipant(id))?.point();
        }
        if y.is_identity() {
            return Err(Error::InvalidCommittee("a verifying share is the identity"));
        }
        verifying_shares.insert(id, CanonicalPoint::new(y));
    }
    Ok(PublicKeySet { threshold: ctx.recipients().threshold(), group_key: CanonicalPoint::new(group_key), verifying_shares })
}

/// Computes this participant's new secret share from the sub-shares it received from the
/// qualified dealers, and checks it against the new public key set.
///
/// `previous_share` is required for a refresh (the new share is the old one plus the
/// zero-sharings) and ignored otherwise.
pub fn finalize_share(
    ctx: &SessionContext,
    public: &PublicKeySet,
    me: Identifier,
    sub_shares: &BTreeMap<Identifier, SubShare>,
    qualified: &[Identifier],
    previous_share: Option<&KeyShare>,
) -> Result<KeyShare, Error> {
    let w = weights(ctx, qualified)?;
    let mut secret = Zeroizing::new(match ctx.kind() {
        SessionKind::Refresh { .. } => previous_share.filter(|s| s.id == me).ok_or(Error::UnknownParticipant(me))?.secret,
        _ => Scalar::ZERO,
    });
    for (dealer, weight) in qualified.iter().zip(&w) {
        let sub = sub_shares.get(dealer).ok_or(Error::InvalidShare { dealer: *dealer })?;
        *secret += weight * **sub;
    }
    KeyShare::new(me, secret, public)
}
