import SluiceModel
import Testing

@testable import SluiceProxy

@Suite("CORS policy")
struct CORSPolicyTests {
    static func policy(_ origins: [String], methods: [String]? = nil, headers: [String]? = nil, expose: [String]? = nil, credentials: Bool? = nil)
        -> CORSPolicy
    {
        CORSPolicy(HTTPRouteFilter.CORS(
            allowOrigins: origins, allowCredentials: credentials, allowMethods: methods, allowHeaders: headers, exposeHeaders: expose))
    }

    @Test("origins: scheme, host and port compared, the scheme's port implied, case ignored; * left of a host takes any labels")
    func origins() {
        let policy = Self.policy(["https://www.foo.com", "http://*.bar.com:8080", "https://*"])
        #expect(policy.allows(origin: "https://www.foo.com"))
        #expect(policy.allows(origin: "https://WWW.Foo.com:443"))
        #expect(!policy.allows(origin: "http://www.foo.com"))
        #expect(policy.allows(origin: "http://a.b.bar.com:8080"))
        #expect(!policy.allows(origin: "http://a.bar.com"))
        #expect(!policy.allows(origin: "http://bar.com:8080"))
        #expect(policy.allows(origin: "https://anything.example"))
        #expect(!policy.allows(origin: "http://anything.example"))
        for bad in ["null", "", "https://", "ftp://www.foo.com", "https://www.foo.com/path", "https://www.foo.com:0", "https://*.bar.com"] {
            #expect(!Self.policy(["https://www.foo.com", "https://*.bar.com"]).allows(origin: bad), "\(bad)")
        }
        #expect(Self.policy(["*"]).allows(origin: "null"))
        #expect(Self.policy(["https://[::1]:8443"]).allows(origin: "https://[::1]:8443"))
    }

    @Test("fields: methods and headers listed or echoed for *, none without the request's; expose * withheld with credentials; max age 5 by default")
    func fields() {
        let listed = Self.policy(["*"], methods: ["GET", "PUT"], headers: ["x-a"], expose: ["x-b"], credentials: true)
        let preflight = Dictionary(uniqueKeysWithValues: listed.preflightFields(origin: "https://o.test", requestMethod: "PUT", requestHeaders: nil))
        #expect(preflight["access-control-allow-origin"] == "https://o.test")
        #expect(preflight["access-control-allow-methods"] == "GET, PUT")
        #expect(preflight["access-control-allow-headers"] == nil)
        #expect(preflight["access-control-allow-credentials"] == "true")
        #expect(preflight["access-control-expose-headers"] == "x-b")
        #expect(preflight["access-control-max-age"] == "5")

        let echoed = Self.policy(["*"], methods: ["*"], headers: ["*"], expose: ["*"], credentials: true)
        let answer = Dictionary(uniqueKeysWithValues: echoed.preflightFields(origin: "https://o.test", requestMethod: "PATCH", requestHeaders: "x-c, x-d"))
        #expect(answer["access-control-allow-methods"] == "PATCH")
        #expect(answer["access-control-allow-headers"] == "x-c, x-d")
        #expect(answer["access-control-expose-headers"] == nil)
        let noCredentials = Self.policy(["*"], expose: ["*"])
        #expect(noCredentials.responseFields(origin: "https://o.test").contains { $0 == ("access-control-expose-headers", "*") })
        #expect(!noCredentials.responseFields(origin: "https://o.test").contains { $0.name == "access-control-allow-credentials" })
    }
}
