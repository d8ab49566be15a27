//! The ephemeral-key oracle (review finding 1), reproduced against the real code paths.
//!
//! A complaint reveals `K = x_j * P` for the accused dealing's ephemeral key `P`. If a dealer
//! could publish a dealing whose ephemeral key it does not know the secret of (an honest
//! dealer's `P_H`, or `P_H + a*G` to dodge a uniqueness check) with garbage shares, every honest
//! recipient would complain and thereby publish the very Diffie-Hellman secret that opens the
//! *honest* dealer's sealed share for it: with `t` of them the attacker interpolates the honest
//! dealer's polynomial. These tests run that attack as far as the verifier lets it.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use crate::committee::{id_scalar, Committee, Member};
use crate::complaint::complain;
use crate::dealing::{deal, open_share, share_aad, verify_dealing, verify_dealings, Dealing};
use crate::group::{lagrange_at_zero, lift_x25519, mul_base, to_x25519};
use crate::session::{SessionContext, SessionKind};
use crate::transport::{self, TransportSecret};
use crate::Identifier;
use curve25519_dalek::scalar::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

struct Dkg {
    ctx: SessionContext,
    secrets: Vec<TransportSecret>,
    ids: Vec<Identifier>,
}

/// n = 4, t = 3: two corrupt validators already break a reshare this way; one suffices in a DKG.
fn dkg(rng: &mut ChaCha20Rng) -> Dkg {
    let secrets: Vec<_> = (0..4).map(|_| TransportSecret::generate(rng)).collect();
    let ids: Vec<_> = (1..=4u16).map(|i| Identifier::try_from(i).unwrap()).collect();
    let members = ids.iter().zip(&secrets).map(|(id, s)| Member { id: *id, transport: s.public() }).collect();
    let ctx = SessionContext::new("chain", [7; 32], SessionKind::Dkg, Committee::new(members, 3).unwrap()).unwrap();
    Dkg { ctx, secrets, ids }
}

/// The attacker's dealing: its own valid polynomial and proofs, the honest dealer's ephemeral
/// key shifted by `shift*G` (zero for a plain copy), and garbage in every share slot.
fn copycat(s: &Dkg, attacker: Identifier, honest: &Dealing, shift: Scalar, rng: &mut ChaCha20Rng) -> Dealing {
    let mut d = deal(&s.ctx, attacker, None, rng).unwrap();
    let p = lift_x25519(honest.ephemeral).unwrap() + mul_base(&shift);
    d.ephemeral = to_x25519(&p);
    // The best it can offer for a key whose secret it lacks: the honest dealer's own proof.
    d.ephemeral_proof = honest.ephemeral_proof;
    for sealed in &mut d.encrypted_shares {
        sealed.iter_mut().for_each(|b| *b ^= 0x5a);
    }
    d
}

/// What the attacker learns from the complaints against its dealing: the honest dealer's
/// sub-share for each complainer, opened with the revealed Diffie-Hellman secret.
fn harvest(s: &Dkg, honest: &Dealing, copied: &Dealing, shift: Scalar, rng: &mut ChaCha20Rng) -> Vec<(Scalar, Scalar)> {
    let mut opened = Vec::new();
    for (j, (id, secret)) in s.ids.iter().zip(&s.secrets).enumerate() {
        if *id == copied.dealer || open_share(&s.ctx, copied, id, secret).is_ok() {
            continue;
        }
        // An honest recipient's share does not open: it complains, as the protocol says.
        let c = complain(&s.ctx, copied, id, secret, rng).unwrap();
        let x = s.secrets[j].public();
        let member = s.ctx.recipients().get(id).unwrap();
        let aad = share_aad(&s.ctx, &honest.dealer, id, &honest.ephemeral, &member.transport);
        // revealed = x_j * (±(P_H + shift*G)); the X25519 form ignores the sign.
        for sign in [Scalar::ONE, -Scalar::ONE] {
            let k = c.revealed.point() * sign - x.lifted() * shift;
            let pos = s.ctx.recipients().position(id).unwrap();
            if let Some(v) = transport::open_scalar(&to_x25519(&k), &aad, &honest.encrypted_shares[pos]) {
                opened.push((id_scalar(id), *v));
                break;
            }
        }
    }
    opened
}

fn run_attack(seed: u64, shift: Scalar) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let s = dkg(&mut rng);
    let (honest_id, attacker) = (s.ids[0], s.ids[1]);
    let honest = deal(&s.ctx, honest_id, None, &mut rng).unwrap();
    let copied = copycat(&s, attacker, &honest, shift, &mut rng);

    let verdicts = verify_dealings(&s.ctx, &[honest.clone(), copied.clone()]);
    assert!(verdicts[0].is_ok(), "the honest dealing is valid");
    if verify_dealing(&s.ctx, &copied).is_ok() || verdicts[1].is_ok() {
        // The verifier let the copy through: play the attack out.
        let mut points = harvest(&s, &honest, &copied, shift, &mut rng);
        // The attacker's own sub-share from the honest dealer.
        points.push((id_scalar(&attacker), *open_share(&s.ctx, &honest, &attacker, &s.secrets[1]).unwrap()));
        let xs: Vec<Scalar> = points.iter().map(|(x, _)| *x).collect();
        let recovered = if points.len() >= 3 {
            let l = lagrange_at_zero(&xs).unwrap();
            Some(points.iter().zip(l).map(|((_, y), l)| y * l).sum::<Scalar>())
        } else {
            None
        };
        let stolen = recovered.is_some_and(|a0| mul_base(&a0) == *honest.commitments[0].point());
        panic!(
            "a dealing with a copied ephemeral key was accepted; {} complaints opened the honest dealer's shares{}",
            points.len() - 1,
            if stolen { " and the attacker recovered its secret constant term" } else { "" }
        );
    }
}

#[test]
fn copied_ephemeral_key_is_refused_before_anyone_complains() {
    run_attack(81, Scalar::ZERO);
}

#[test]
fn shifted_ephemeral_key_is_refused_before_anyone_complains() {
    run_attack(82, Scalar::from(12345u64));
}
