//! The parsers that sit behind the signature check and so are out of reach of mutated documents:
//! the in-toto statement and PEP 740's rules over it, distribution file names, and publisher
//! specs. The input is split at the first NUL: statement bytes, then a file name / spec string.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyprov::verify::distname;
use pyprov::verify::statement::Statement;
use pyprov::verify::PublisherSpec;

fuzz_target!(|data: &[u8]| {
    let (payload, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let text = String::from_utf8_lossy(rest);
    if let Ok(statement) = Statement::parse(payload) {
        let _ = statement.check_pep740(
            &text,
            "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3",
        );
        if let Some(subject) = statement.subject.first() {
            let _ = distname::same_file(&subject.name, &text);
            let _ = distname::parse(&subject.name);
        }
    }
    let _ = distname::parse(&text);
    let _ = distname::normalize_project_name(&text);
    if let Ok(spec) = text.parse::<PublisherSpec>() {
        let _ = spec.to_string();
    }
});
