import MaestroDomain

/// Who administers what. A tenant's admin manages that tenant's principals, roles and keys;
/// an admin of the platform tenant also creates tenants, acts in any tenant it names, and
/// rotates the signing keys.
extension Caller {
    /// Governance itself acting in `tenant`: the subject (`authid`) of the events of automatic
    /// checks and expiry.
    static func governance(in tenant: String) -> Caller {
        Caller(tenant: tenant, subject: "governance")
    }

    /// The caller, if it administers the platform; forbidden otherwise.
    func platformAdmin(platformTenant: String) throws(GovernanceError) -> Caller {
        guard isPlatformAdmin(platformTenant: platformTenant) else {
            throw .forbidden("This operation requires an admin of tenant '\(platformTenant)'.")
        }
        return self
    }

    /// The same admin acting in `requested` (its own tenant when `nil`). Only a platform admin
    /// acts in another tenant; to anyone else that tenant does not exist, so its existence is
    /// not revealed.
    func acting(in requested: String?, platformTenant: String) throws(GovernanceError) -> Caller {
        guard let requested, requested != tenant else { return self }
        // An empty or malformed id names no tenant: the same 404 as any unknown one.
        guard isPlatformAdmin(platformTenant: platformTenant), Caller.isTenantID(requested) else { throw .notFound("Tenant '\(requested.prefix(64))'") }
        return Caller(tenant: requested, subject: subject, roles: roles)
    }
}
