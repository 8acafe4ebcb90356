//! `tokens.json`: the id and token drawn from an RNG byte stream (SPEC §3.2, §6.2).

use super::*;

pub(super) fn token_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(0x7E57);
    // The stream is cut to the bytes issuing consumes: the sizes the
    // oracle reports it asked for.
    let mut add = |mut request: Value, stream: Vec<u8>| {
        request["rng"] = json!(hex(&stream));
        let full = vector("tokens", request.clone());
        let used: u64 = full["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .sum();
        request["rng"] = json!(hex(&stream[..used as usize]));
        out.push(vector("tokens", request));
    };
    let drawn = |name: &str, alphas: bool, len: i64| {
        let alphabet = if alphas { "alphanumeric" } else { "numeric" };
        json!({"name": name, "alphabet": alphabet, "token_length": len})
    };
    for alphas in [false, true] {
        for len in 4..=20i64 {
            for k in 0..2 {
                let mut stream = vec![0u8; 16 + 3 * 20];
                rng.fill_bytes(&mut stream);
                let alphabet = if alphas { "alphanumeric" } else { "numeric" };
                add(
                    drawn(&format!("random {alphabet} {len} #{k}"), alphas, len),
                    stream,
                );
            }
        }
    }
    // Streams that hit the numeric rejection step (bytes 250..=255).
    let crafted: &[(&str, i64, &[u8])] = &[
        (
            "every reject byte once",
            6,
            &[250, 251, 252, 253, 254, 255, 0, 1, 2, 3, 4, 5],
        ),
        ("boundary bytes 249 and 250", 4, &[249, 250, 9, 10, 19]),
        ("reject in each refill", 4, &[255, 1, 2, 3, 255, 255, 4]),
        ("reject at the end", 5, &[10, 20, 30, 40, 250, 249]),
        ("all 0xff then digits", 4, &[255, 255, 255, 255, 0, 0, 0, 0]),
        (
            "max length with rejects",
            20,
            &[
                250, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 251, 19, 20,
            ],
        ),
    ];
    for &(name, len, bytes) in crafted {
        let mut stream = vec![0x5Au8; 16];
        stream.extend_from_slice(bytes);
        add(drawn(name, false, len), stream);
    }
    // The alphanumeric alphabet never rejects: high bytes map by `% 32`.
    let mut stream = vec![0xA5u8; 16];
    stream.extend(224u8..=255);
    add(drawn("alphanumeric high bytes", true, 20), stream);
    // A host token consumes only the id bytes.
    add(
        json!({"name": "host token: id bytes only", "alphabet": "numeric",
               "token_length": 6, "host_token": "271828"}),
        vec![0x11; 40],
    );
    out
}

#[test]
fn replay_tokens() {
    for v in load("tokens.json") {
        let mut body = json!({"to": "+15557788999", "token_length": v["token_length"], "allow_alphas": v["alphabet"] == "alphanumeric"});
        let host = match v["host_token"].as_str() {
            Some(t) => {
                body.as_object_mut().unwrap().remove("token_length");
                json!({"token": t})
            }
            None => json!({}),
        };
        let r = Req::from_json(&req_json(Channel::Sms, body, host)).unwrap();
        let rng = unhex(v["rng"].as_str().unwrap());
        let params = r.request().validate().unwrap();
        let mut br = StreamRng::new(&rng);
        let (c, _) = Challenge::issue(&params, &mut br, UnixTime::from_secs(0)).unwrap();
        assert_eq!(
            br.used(),
            rng.len(),
            "{}: every byte is consumed",
            v["name"]
        );
        assert_eq!(json!(br.requests), v["requests"], "{}", v["name"]);
        assert_eq!(c.parts().id.to_string(), v["id"].as_str().unwrap());
        assert_eq!(
            c.parts().token.expose_secret(),
            v["token"].as_str().unwrap()
        );
    }
}
