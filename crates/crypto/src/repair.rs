//! Share repair: a member that lost its share gets it back from the other members, without a
//! new key set, and learns nothing but its own share. This is the share recovery of Herzberg,
//! Jarecki, Krawczyk and Yung (proactive secret sharing, 1995), with Feldman commitments so
//! that every step is checked.
//!
//! Let `f` be the sharing polynomial of the key set, `r` the target, `H` the other members
//! (the helpers) and `t` the threshold.
//!
//! 1. **Blinding round** (a session of kind [`SessionKind::Repair`], run like any other:
//!    dealings, complaints, a qualified set `Q`): each helper `i` deals a random `g_i` of degree
//!    `t-1` with `g_i(x_r) = 0`, publicly checked as `sum_k x_r^k C_ik = 0`.
//! 2. **Delivery** ([`contribute`]): helper `j` sends `s'_j = s_j + sum_{i in Q} g_i(x_j)` to the
//!    target, sealed to its transport key under a fresh ephemeral key. Anyone can compute the
//!    public value `S'_j = Y_j + sum_{i in Q} sum_k x_j^k C_ik`.
//! 3. **Recovery** ([`recover`]): the target opens each contribution, keeps those with
//!    `s'_j * G = S'_j`, and interpolates `t` of them at `x_r`. They are points of
//!    `F = f + sum g_i`, and `F(x_r) = f(x_r) = s_r`; the result is checked against `Y_r`.
//!
//! **Privacy.** With one honest dealer in `Q` (`Q` needs `f+1` dealers, `f = floor((n-1)/3)`:
//! one is honest while at most `f` members are byzantine, the bound the chain rests on anyway),
//! `sum g_i` is
//! uniform among the polynomials that vanish at `x_r`, so `F` is uniform among the polynomials
//! through `(x_r, s_r)`: the `t` points the target sees tell it `s_r` and nothing else. The
//! target together with `k` helpers learns `g` at `k+1` points (`x_r` and theirs), too few to
//! unblind an honest helper's `s'_j` while `k + 1 < t`, i.e. while the coalition is below the
//! threshold.
//!
//! **No oracle.** The target never reveals a Diffie-Hellman value: a contribution that does not
//! open or does not match its public value is dropped (the target needs `t` good ones of the
//! helpers' `n-1`), not complained about. So the delivery's ephemeral keys need no proof of
//! knowledge, unlike a dealing's (docs/crypto.md, "Why the ephemeral proof").

use crate::committee::id_scalar;
use crate::dealing::{open_shares, share_matches, Dealing};
use crate::error::Error;
use crate::group::{lagrange_at, CanonicalPoint};
use crate::keys::KeyShare;
use crate::session::{SessionContext, SessionKind};
use crate::transcript::Transcript;
use crate::transport::{self, TransportPublic, TransportSecret, SEALED_SCALAR_LEN};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};
use std::collections::BTreeSet;
use zeroize::Zeroizing;

/// A helper's blinded share, sealed to the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairContribution {
    /// The helper that made it.
    pub helper: Identifier,
    /// The ephemeral X25519 key it is sealed under.
    pub ephemeral: [u8; 32],
    /// `s'_j`, sealed.
    pub sealed: [u8; SEALED_SCALAR_LEN],
}

fn target_of(ctx: &SessionContext) -> Result<(Identifier, &crate::keys::PublicKeySet), Error> {
    match ctx.kind() {
        SessionKind::Repair { previous, target } => Ok((*target, previous)),
        _ => Err(Error::InvalidCommittee("not a repair session")),
    }
}

fn contribution_aad(ctx: &SessionContext, helper: &Identifier, target: &Identifier, ephemeral: &[u8; 32]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64 + 3 * 32 + 16);
    aad.extend_from_slice(b"tss/repair/v1");
    aad.extend_from_slice(ctx.digest());
    aad.extend_from_slice(&helper.serialize());
    aad.extend_from_slice(&target.serialize());
    aad.extend_from_slice(ephemeral);
    aad
}

/// The commitments of `sum_{i in Q} g_i`, with the helper's verifying share added to the
/// constant term: evaluated at `x_j`, they give `S'_j`.
fn blinded_commitments(ctx: &SessionContext, qualified: &[&Dealing], helper: &Identifier) -> Result<Vec<CanonicalPoint>, Error> {
    let (_, previous) = target_of(ctx)?;
    let t = usize::from(ctx.recipients().threshold());
    let mut sum = vec![EdwardsPoint::identity(); t];
    for d in qualified {
        if d.commitments.len() != t {
            return Err(Error::InvalidDealing { dealer: d.dealer, reason: "wrong number of commitments for the threshold" });
        }
        for (acc, c) in sum.iter_mut().zip(&d.commitments) {
            *acc += c.point();
        }
    }
    let y = previous.verifying_share(helper).ok_or(Error::UnknownParticipant(*helper))?;
    if let Some(a0) = sum.first_mut() {
        *a0 += y.point();
    }
    Ok(sum.into_iter().map(CanonicalPoint::new).collect())
}

/// Round 2, at helper `share.id()`: opens its sub-shares of the qualified blinding dealings
/// and seals `s'_j = s_j + sum g_i(x_j)` to the target's transport key.
pub fn contribute<R: RngCore + CryptoRng>(
    ctx: &SessionContext,
    qualified: &[&Dealing],
    share: &KeyShare,
    transport_secret: &TransportSecret,
    target_transport: &TransportPublic,
    rng: &mut R,
) -> Result<RepairContribution, Error> {
    let (target, previous) = target_of(ctx)?;
    let helper = share.id;
    share.check(previous)?;
    let (subs, bad) = open_shares(ctx, qualified, &helper, transport_secret, rng)?;
    if let Some(dealer) = bad.first() {
        return Err(Error::InvalidShare { dealer: *dealer });
    }
    let mut value = Zeroizing::new(share.secret);
    for d in qualified {
        *value += **subs.get(&d.dealer).ok_or(Error::InvalidShare { dealer: d.dealer })?;
    }
    let mut hedge = Transcript::new("tss/repair-contribution/v1");
    hedge.append(b"session", ctx.digest()).append(b"helper", &helper.serialize());
    let mut rng = hedge.hedged_rng(value.as_bytes(), rng);
    let ephemeral_secret = TransportSecret::generate(&mut rng);
    let ephemeral = ephemeral_secret.public().to_bytes();
    let shared = ephemeral_secret.diffie_hellman(target_transport);
    let sealed = transport::seal_scalar(&shared, &contribution_aad(ctx, &helper, &target, &ephemeral), &value);
    Ok(RepairContribution { helper, ephemeral, sealed })
}

/// Round 3, at the target: opens the contributions, keeps those that match their public value
/// (the first of each helper), interpolates `t` of them at its own identifier and checks the
/// result against its verifying share.
///
/// Fails with [`Error::NotEnoughContributions`] when fewer than `t` helpers sent a good one.
pub fn recover(
    ctx: &SessionContext,
    qualified: &[&Dealing],
    contributions: &[RepairContribution],
    me: Identifier,
    transport_secret: &TransportSecret,
) -> Result<KeyShare, Error> {
    let (target, previous) = target_of(ctx)?;
    if me != target {
        return Err(Error::UnknownParticipant(me));
    }
    let t = usize::from(ctx.recipients().threshold());
    let mut seen = BTreeSet::new();
    let mut good: Vec<(Scalar, Zeroizing<Scalar>)> = Vec::with_capacity(t);
    for c in contributions {
        if good.len() == t {
            break;
        }
        if ctx.recipients().get(&c.helper).is_none() || !seen.insert(c.helper) {
            continue;
        }
        let Some(ephemeral) = TransportPublic::from_bytes(c.ephemeral) else { continue };
        let shared = transport_secret.diffie_hellman(&ephemeral);
        let Some(value) = transport::open_scalar(&shared, &contribution_aad(ctx, &c.helper, &target, &c.ephemeral), &c.sealed) else { continue };
        let x = id_scalar(&c.helper);
        let Ok(commitments) = blinded_commitments(ctx, qualified, &c.helper) else { continue };
        if share_matches(&commitments, &x, &value) {
            good.push((x, value));
        }
    }
    if good.len() < t {
        return Err(Error::NotEnoughContributions { have: good.len(), need: t });
    }
    let xs: Vec<Scalar> = good.iter().map(|(x, _)| *x).collect();
    let lambdas = lagrange_at(&xs, &id_scalar(&me)).ok_or(Error::InvalidCommittee("helpers must be distinct"))?;
    let mut secret = Zeroizing::new(Scalar::ZERO);
    for ((_, value), lambda) in good.iter().zip(&lambdas) {
        *secret += lambda * **value;
    }
    KeyShare::new(me, secret, previous)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::dealing::{deal, verify_dealings};
    use crate::finalize::qualify;
    use crate::keys::PublicKeySet;
    use crate::local::{Faults, LocalNetwork};
    use crate::session::SessionKind;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A DKG among `n` with threshold `t`; returns the network, the ids and the key set.
    fn setup(n: usize, t: u16, seed: u64) -> (LocalNetwork, Vec<Identifier>, PublicKeySet, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut net = LocalNetwork::default();
        let mut ids: Vec<Identifier> = (0..n).map(|i| net.add(format!("validator-{i}").as_bytes(), &mut rng).unwrap()).collect();
        ids.sort();
        let ctx = SessionContext::new("chain", [1; 32], SessionKind::Dkg, net.committee(&ids, t).unwrap()).unwrap();
        let public = net.run(&ctx, &Faults::default(), &mut rng).unwrap().public;
        (net, ids, public, rng)
    }

    fn repair_context(net: &LocalNetwork, ids: &[Identifier], public: &PublicKeySet, target: Identifier) -> SessionContext {
        let helpers: Vec<Identifier> = ids.iter().copied().filter(|id| *id != target).collect();
        let committee = net.committee(&helpers, public.threshold()).unwrap();
        SessionContext::new("chain", [2; 32], SessionKind::Repair { previous: public.clone(), target }, committee).unwrap()
    }

    /// Runs the blinding round (every helper deals, all verify) and returns the qualified
    /// dealings.
    fn blinding_round(net: &LocalNetwork, ctx: &SessionContext, rng: &mut ChaCha20Rng) -> Vec<Dealing> {
        let dealings: Vec<Dealing> = ctx.dealers().iter().map(|h| deal(ctx, *h, None, rng).unwrap()).collect();
        assert!(verify_dealings(ctx, &dealings).iter().all(Result::is_ok));
        let valid: BTreeSet<Identifier> = dealings.iter().map(|d| d.dealer).collect();
        let q = qualify(ctx, &valid, &BTreeSet::new()).unwrap();
        assert_eq!(q.len(), ctx.recipients().len());
        let _ = net;
        dealings
    }

    fn contributions(net: &LocalNetwork, ctx: &SessionContext, dealings: &[Dealing], target: Identifier, rng: &mut ChaCha20Rng) -> Vec<RepairContribution> {
        let refs: Vec<&Dealing> = dealings.iter().collect();
        let target_transport = net.participants[&target].transport.public();
        ctx.recipients()
            .ids()
            .map(|h| {
                let p = &net.participants[&h];
                contribute(ctx, &refs, p.share.as_ref().unwrap(), &p.transport, &target_transport, rng).unwrap()
            })
            .collect()
    }

    #[test]
    fn a_lost_share_comes_back_from_the_other_members() {
        let (mut net, ids, public, mut rng) = setup(5, 4, 1);
        let target = ids[2];
        let original = net.participants.get_mut(&target).unwrap().share.take().unwrap();
        let ctx = repair_context(&net, &ids, &public, target);
        let dealings = blinding_round(&net, &ctx, &mut rng);
        let contributions = contributions(&net, &ctx, &dealings, target, &mut rng);
        let refs: Vec<&Dealing> = dealings.iter().collect();
        let recovered = recover(&ctx, &refs, &contributions, target, &net.participants[&target].transport).unwrap();
        assert_eq!(recovered.to_secret_bytes().as_slice(), original.to_secret_bytes().as_slice());
        // Only the target can open the contributions.
        let other = ids[0];
        assert!(recover(&ctx, &refs, &contributions, other, &net.participants[&other].transport).is_err());
    }

    #[test]
    fn bad_contributions_are_dropped_and_t_good_ones_suffice() {
        let (mut net, ids, public, mut rng) = setup(7, 5, 2);
        let target = ids[6];
        net.participants.get_mut(&target).unwrap().share = None;
        let ctx = repair_context(&net, &ids, &public, target);
        let dealings = blinding_round(&net, &ctx, &mut rng);
        let refs: Vec<&Dealing> = dealings.iter().collect();
        let mut contributions = contributions(&net, &ctx, &dealings, target, &mut rng);
        let transport = &net.participants[&target].transport;
        // One helper lies: 5 good of 6 still recover.
        contributions[0].sealed[3] ^= 1;
        let recovered = recover(&ctx, &refs, &contributions, target, transport).unwrap();
        recovered.check(&public).unwrap();
        // A helper that seals a wrong value under a valid key is caught by its public value.
        let p = &net.participants[&ids[1]];
        let shared = TransportSecret::from_bytes([9; 32]).diffie_hellman(&transport.public());
        let ephemeral = TransportSecret::from_bytes([9; 32]).public().to_bytes();
        contributions[1] = RepairContribution {
            helper: p.id,
            ephemeral,
            sealed: transport::seal_scalar(&shared, &contribution_aad(&ctx, &p.id, &target, &ephemeral), &Scalar::from(7u64)),
        };
        assert!(matches!(recover(&ctx, &refs, &contributions, target, transport), Err(Error::NotEnoughContributions { have: 4, need: 5 })));
    }

    #[test]
    fn a_blinding_dealing_must_vanish_at_the_target() {
        let (net, ids, public, mut rng) = setup(4, 3, 3);
        let ctx = repair_context(&net, &ids, &public, ids[0]);
        // A zero-constant (refresh-shaped) polynomial does not vanish at the target.
        let refresh_ctx = SessionContext::new("chain", [2; 32], SessionKind::Refresh { previous: public.clone() }, net.committee(&ids, 3).unwrap()).unwrap();
        let mut d = deal(&refresh_ctx, ids[1], None, &mut rng).unwrap();
        d.encrypted_shares.remove(0);
        let results = verify_dealings(&ctx, &[d]);
        assert!(matches!(&results[0], Err(Error::InvalidDealing { reason, .. }) if reason.contains("vanishes at the target")), "{results:?}");
        // The target itself is no dealer of its own repair.
        assert!(deal(&ctx, ids[0], None, &mut rng).is_err());
    }

    #[test]
    fn what_the_target_sees_does_not_reveal_the_group_secret() {
        let (mut net, ids, public, mut rng) = setup(4, 3, 4);
        let target = ids[1];
        net.participants.get_mut(&target).unwrap().share = None;
        let ctx = repair_context(&net, &ids, &public, target);
        let dealings = blinding_round(&net, &ctx, &mut rng);
        let contributions = contributions(&net, &ctx, &dealings, target, &mut rng);
        let transport = &net.participants[&target].transport;
        // The target opens all three blinded shares and interpolates them at zero: the result
        // is F(0) = f(0) + g(0), not the group secret.
        let mut xs = Vec::new();
        let mut values = Vec::new();
        for c in &contributions {
            let shared = transport.diffie_hellman(&TransportPublic::from_bytes(c.ephemeral).unwrap());
            values.push(*transport::open_scalar(&shared, &contribution_aad(&ctx, &c.helper, &target, &c.ephemeral), &c.sealed).unwrap());
            xs.push(id_scalar(&c.helper));
        }
        let lambdas = crate::group::lagrange_at_zero(&xs).unwrap();
        let at_zero: Scalar = values.iter().zip(&lambdas).map(|(v, l)| v * l).sum();
        assert_ne!(crate::group::mul_base(&at_zero).compress().to_bytes(), public.group_key());
        // And each blinded share differs from the helper's real one.
        for (c, v) in contributions.iter().zip(&values) {
            assert_ne!(v.as_bytes(), net.participants[&c.helper].share.as_ref().unwrap().to_secret_bytes().as_slice());
        }
    }
}
