//! Complaints: a recipient whose share is bad proves it publicly.
//!
//! The complainer reveals the pairwise Diffie-Hellman secret `K = x_j * P` between its
//! transport key `X_j = x_j*G` and the dealing's ephemeral key `P`, with a DLEQ proof that
//! `log_G(X_j) == log_P(K)`. Every node can then decrypt that one share and decide the same
//! way ([`judge`]): if the share does not decrypt or does not match the dealer's commitments the
//! complaint is upheld and the dealer disqualified; otherwise the complainer is blamed.
//! Revealing `K` exposes only this one dealing's share to this recipient, which is already bad,
//! and tells the dealer nothing it could not compute: every dealing proves knowledge of its
//! ephemeral secret `e` ([`crate::pok::Statement::Ephemeral`]), so `K = e * X_j` is already its
//! own. A complaint names the dealing it accuses by digest ([`Dealing::digest`]) and is judged
//! only against that dealing.

use crate::committee::id_scalar;
use crate::dealing::{share_aad, share_matches, Dealing};
use crate::dleq::{DleqProof, DLEQ_PROOF_LEN};
use crate::error::Error;
use crate::group::{decode_prime_order, to_x25519, CanonicalPoint};
use crate::session::SessionContext;
use crate::transcript::Transcript;
use crate::transport::{self, TransportPublic, TransportSecret};
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};

/// A public accusation that a dealing's share for the complainer is bad.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// Who complains (a recipient).
    pub complainer: Identifier,
    /// Whom it accuses.
    pub dealer: Identifier,
    /// [`Dealing::digest`] of the accused dealing.
    pub dealing: [u8; 32],
    /// The revealed Diffie-Hellman point `K = x_j * P` (edwards form, sign fixed by the proof).
    pub revealed: CanonicalPoint,
    /// Proof that `K` is the complainer's Diffie-Hellman secret with the dealing's ephemeral key.
    pub proof: DleqProof,
}

/// The result of judging a complaint. Deterministic: every node reaches the same verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The share really is bad: the dealer is disqualified.
    Upheld {
        /// The dealer to disqualify.
        dealer: Identifier,
    },
    /// The complaint is false or malformed: the complainer is blamed.
    Rejected {
        /// The complainer to blame.
        complainer: Identifier,
    },
}

fn transcript(ctx: &SessionContext, complainer: &Identifier, dealer: &Identifier, dealing: &[u8; 32]) -> Transcript {
    let mut t = Transcript::new("tss/complaint/v2");
    t.append(b"session", ctx.digest())
        .append(b"complainer", &complainer.serialize())
        .append(b"dealer", &dealer.serialize())
        .append(b"dealing", dealing);
    t
}

/// Files a complaint about the share `dealing` holds for `me`.
pub fn complain<R: RngCore + CryptoRng>(
    ctx: &SessionContext,
    dealing: &Dealing,
    me: &Identifier,
    secret: &TransportSecret,
    rng: &mut R,
) -> Result<Complaint, Error> {
    let member = ctx.recipients().get(me).ok_or(Error::UnknownParticipant(*me))?;
    let ephemeral = TransportPublic::from_bytes(dealing.ephemeral)
        .ok_or(Error::InvalidDealing { dealer: dealing.dealer, reason: "ephemeral key is not valid" })?;
    let x = secret.signed_scalar();
    let p = CanonicalPoint::new(*ephemeral.lifted());
    let h1 = CanonicalPoint::new(*member.transport.lifted());
    let revealed = CanonicalPoint::new(p.point() * *x);
    let digest = dealing.digest();
    let proof = DleqProof::prove(&transcript(ctx, me, &dealing.dealer, &digest), &h1, &p, &revealed, &x, rng);
    Ok(Complaint { complainer: *me, dealer: dealing.dealer, dealing: digest, revealed, proof })
}

/// Decides a complaint against a publicly valid dealing.
pub fn judge(ctx: &SessionContext, dealing: &Dealing, c: &Complaint) -> Verdict {
    let rejected = Verdict::Rejected { complainer: c.complainer };
    if c.dealer != dealing.dealer || c.dealing != dealing.digest() {
        return rejected;
    }
    let (Some(pos), Some(ephemeral)) = (ctx.recipients().position(&c.complainer), TransportPublic::from_bytes(dealing.ephemeral)) else {
        return rejected;
    };
    let Some(member) = ctx.recipients().members().get(pos) else { return rejected };
    // The revealed point must be in the prime-order subgroup: a torsion component would change
    // its X25519 form without changing the proof's validity for a ground challenge.
    if decode_prime_order(c.revealed.to_bytes()).is_none() {
        return rejected;
    }
    let h1 = CanonicalPoint::new(*member.transport.lifted());
    let p = CanonicalPoint::new(*ephemeral.lifted());
    if !c.proof.verify(&transcript(ctx, &c.complainer, &c.dealer, &c.dealing), &h1, &p, &c.revealed) {
        return rejected;
    }
    let shared = zeroize::Zeroizing::new(to_x25519(c.revealed.point()));
    let aad = share_aad(ctx, &dealing.dealer, &c.complainer, &dealing.ephemeral, &member.transport);
    let Some(sealed) = dealing.encrypted_shares.get(pos) else {
        return Verdict::Upheld { dealer: dealing.dealer };
    };
    match transport::open_scalar(&shared, &aad, sealed) {
        Some(share) if share_matches(&dealing.commitments, &id_scalar(&c.complainer), &share) => rejected,
        _ => Verdict::Upheld { dealer: dealing.dealer },
    }
}

impl Encode for Complaint {
    const TAG: u8 = tag::COMPLAINT;
    /// Version 2 added the accused dealing's digest.
    const VERSION: u8 = 2;
    const MAX_LEN: usize = 2 + 32 * 4 + DLEQ_PROOF_LEN;

    fn encode_body(&self, w: &mut Writer) {
        w.identifier(&self.complainer).identifier(&self.dealer).raw(&self.dealing).point(&self.revealed);
        self.proof.encode(w);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            complainer: r.identifier("complainer")?,
            dealer: r.identifier("dealer")?,
            dealing: r.array("dealing digest")?,
            revealed: r.point("revealed secret")?,
            proof: DleqProof::decode(r)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::committee::{Committee, Member};
    use crate::dealing::{open_share, share_aad, verify_dealing};
    use crate::group::{mul_base, SecretPolynomial};
    use crate::pok::{SchnorrProof, Statement};
    use crate::session::SessionKind;
    use curve25519_dalek::scalar::Scalar;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    struct Setup {
        ctx: SessionContext,
        secrets: Vec<TransportSecret>,
        ids: Vec<Identifier>,
    }

    fn setup(rng: &mut ChaCha20Rng) -> Setup {
        let secrets: Vec<_> = (0..3).map(|_| TransportSecret::generate(rng)).collect();
        let ids: Vec<_> = (1..=3u16).map(|i| Identifier::try_from(i).unwrap()).collect();
        let members = ids.iter().zip(&secrets).map(|(id, s)| Member { id: *id, transport: s.public() }).collect();
        let ctx = SessionContext::new("chain", [1; 32], SessionKind::Dkg, Committee::new(members, 2).unwrap()).unwrap();
        Setup { ctx, secrets, ids }
    }

    /// A dealing whose share for `victim` authenticates but is off by one: only the recipient
    /// can notice, and the public complaint must convict the dealer.
    fn dealing_with_wrong_value(s: &Setup, dealer: Identifier, victim: Identifier, rng: &mut ChaCha20Rng) -> Dealing {
        let poly = SecretPolynomial::random(Scalar::random(rng), 2, rng);
        let commitments = poly.commit();
        let proof = Some(SchnorrProof::prove(Statement::ConstantTerm, s.ctx.digest(), &dealer, &poly.constant(), &commitments[0], rng));
        let eph = TransportSecret::generate(rng);
        let ephemeral = eph.public().to_bytes();
        let lifted = CanonicalPoint::new(*eph.public().lifted());
        let ephemeral_proof = SchnorrProof::prove(Statement::Ephemeral, s.ctx.digest(), &dealer, &eph.signed_scalar(), &lifted, rng);
        let encrypted_shares = s
            .ctx
            .recipients()
            .members()
            .iter()
            .map(|m| {
                let mut v = poly.evaluate(&crate::committee::id_scalar(&m.id));
                if m.id == victim {
                    v += Scalar::ONE;
                }
                let shared = eph.diffie_hellman(&m.transport);
                transport::seal_scalar(&shared, &share_aad(&s.ctx, &dealer, &m.id, &ephemeral, &m.transport), &v)
            })
            .collect();
        Dealing { dealer, commitments, proof, ephemeral, ephemeral_proof, encrypted_shares }
    }

    #[test]
    fn authenticated_but_wrong_share_is_convicted_by_complaint() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let s = setup(&mut rng);
        let (dealer, victim, bystander) = (s.ids[0], s.ids[1], s.ids[2]);
        let d = dealing_with_wrong_value(&s, dealer, victim, &mut rng);
        verify_dealing(&s.ctx, &d).unwrap();
        assert_eq!(open_share(&s.ctx, &d, &victim, &s.secrets[1]).unwrap_err(), Error::InvalidShare { dealer });
        open_share(&s.ctx, &d, &bystander, &s.secrets[2]).unwrap();
        let c = complain(&s.ctx, &d, &victim, &s.secrets[1], &mut rng).unwrap();
        assert_eq!(judge(&s.ctx, &d, &c), Verdict::Upheld { dealer });
        // Round-trips through the wire unchanged.
        assert_eq!(Complaint::from_bytes(&c.to_bytes()).unwrap(), c);
        // The bystander's share is fine: its complaint is false.
        let false_c = complain(&s.ctx, &d, &bystander, &s.secrets[2], &mut rng).unwrap();
        assert_eq!(judge(&s.ctx, &d, &false_c), Verdict::Rejected { complainer: bystander });
    }

    #[test]
    fn forged_complaints_are_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(22);
        let s = setup(&mut rng);
        let (dealer, victim, other) = (s.ids[0], s.ids[1], s.ids[2]);
        let d = dealing_with_wrong_value(&s, dealer, victim, &mut rng);
        let good = complain(&s.ctx, &d, &victim, &s.secrets[1], &mut rng).unwrap();
        // Someone else files the victim's complaint under their own name.
        let stolen = Complaint { complainer: other, ..good.clone() };
        assert_eq!(judge(&s.ctx, &d, &stolen), Verdict::Rejected { complainer: other });
        // A revealed secret that is not the DH secret.
        let forged = Complaint { revealed: CanonicalPoint::new(mul_base(&Scalar::ONE)), ..good.clone() };
        assert_eq!(judge(&s.ctx, &d, &forged), Verdict::Rejected { complainer: victim });
        // A revealed secret with a torsion component, same proof.
        let torsion = curve25519_dalek::constants::EIGHT_TORSION[4];
        let twisted = Complaint { revealed: CanonicalPoint::new(good.revealed.point() + torsion), ..good.clone() };
        assert_eq!(judge(&s.ctx, &d, &twisted), Verdict::Rejected { complainer: victim });
        // A complaint about another dealer's dealing.
        let misdirected = Complaint { dealer: other, ..good.clone() };
        assert_eq!(judge(&s.ctx, &d, &misdirected), Verdict::Rejected { complainer: victim });
        // A complaint that names another dealing of the same dealer (another digest).
        let elsewhere = Complaint { dealing: [7; 32], ..good };
        assert_eq!(judge(&s.ctx, &d, &elsewhere), Verdict::Rejected { complainer: victim });
    }
}
