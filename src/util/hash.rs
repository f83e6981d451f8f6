//! Hashing model values through their JSON form (the preview's reuse keys).

use std::hash::{DefaultHasher, Hasher};

use serde::Serialize;

/// Feeds what `serde_json` writes into a hasher, without holding the text.
struct HashWriter<'h>(&'h mut DefaultHasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Adds `value`, as JSON, to `h`, then a separator.
pub fn add<T: Serialize + ?Sized>(h: &mut DefaultHasher, value: &T) {
    // Writing into a hasher cannot fail, and the model's values always serialise. serde_json
    // writes in pieces of a few bytes: buffered, the hasher takes them a kilobyte at a time.
    let mut out = std::io::BufWriter::with_capacity(1024, HashWriter(h));
    let _ = serde_json::to_writer(&mut out, value);
    let _ = std::io::Write::flush(&mut out);
    drop(out);
    h.write_u8(0xff);
}
