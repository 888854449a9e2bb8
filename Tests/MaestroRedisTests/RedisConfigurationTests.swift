import MaestroRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesEveryPartOfTheURL() throws {
        let configuration = try RedisConfiguration(url: "redis://app:p%40ss@cache.internal:6380/3", poolSize: 16)
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "app")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 3)
        #expect(configuration.poolSize == 16)
    }

    @Test func appliesDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 6379)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
        #expect(configuration.poolSize == 8)
    }

    @Test func passwordWithoutUser() throws {
        let configuration = try RedisConfiguration(url: "redis://:secret@127.0.0.1:7380")
        #expect(configuration.username == nil)
        #expect(configuration.password == "secret")
        #expect(configuration.port == 7380)
    }

    @Test func ipv6Host() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 6390)
        #expect(configuration.database == 1)
    }

    @Test(arguments: [
        "http://:hunter2@localhost:6379",
        "rediss://:hunter2@localhost:6379",
        "redis://:hunter2@/0",
        "redis://:hunter2@localhost:6379/db",
        "redis://:hunter2@localhost:6379/-1",
        "redis://:hunter2@localhost:0",
        "not a url: hunter2",
        "localhost:6379",
    ])
    func rejectsBadURLsWithoutQuotingThem(url: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.isRetriable == false)
        #expect(error.map { !"\($0)".contains("hunter2") } == true)
    }

    @Test func descriptionHidesThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis://app:hunter2@cache:6380/2")
        #expect("\(configuration)" == "redis://app:***@cache:6380/2")
    }
}
