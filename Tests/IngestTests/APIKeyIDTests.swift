import Ingest
import Testing

@Suite struct APIKeyIDTests {
    @Test(arguments: [
        // SHA-256 test vectors (FIPS 180-2): the first 16 hex digits.
        ("abc", "ba7816bf8f01cfea"),
        ("", "e3b0c44298fc1c14"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8"),
    ])
    func knownVectors(key: String, expected: String) {
        #expect(APIKeyID.of(key) == expected)
    }

    @Test func shapeAndStability() {
        let key = "hcaik_01hzacceptancetestkey0000000000000000000000000000000000000"
        let id = APIKeyID.of(key)
        #expect(id.count == APIKeyID.hexLength)
        #expect(id.count == 16)
        #expect(id.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(APIKeyID.of(key) == id)
        #expect(APIKeyID.of(key + "x") != id)
        #expect(!id.contains("hcaik"))
        // UTF-8 bytes are hashed, not UTF-16 or anything else.
        #expect(APIKeyID.of("ключ") == APIKeyID.of(String(decoding: Array("ключ".utf8), as: UTF8.self)))
    }
}
