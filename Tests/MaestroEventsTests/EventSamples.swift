import Foundation
import MaestroEvents
import Testing

/// One payload of the contract, named by its event type in test output.
struct EventSample: Sendable, CustomTestStringConvertible {
    let payload: any EventPayload

    init(_ payload: any EventPayload) {
        self.payload = payload
    }

    var typeName: String { type(of: payload).eventType.name }

    var testDescription: String { typeName }
}

/// Realistic payloads of every event type, following one model, `fraud-detector`, from
/// registration through a governed promotion, plus the identity, audit and ingest traffic
/// around it.
///
/// `complete` fills in every optional field, so each field of each schema is exercised;
/// `minimal` leaves optional fields out, so their omission is exercised too. Times are whole
/// seconds: ISO 8601 encoding carries no fractional seconds.
enum EventSamples {
    static let all: [EventSample] = (complete + minimal).map(EventSample.init)

    static let complete: [any EventPayload] = registry + governance + audit + ingest

    static let start = Date(timeIntervalSince1970: 1_785_000_000)

    static func time(_ minutes: Int) -> Date {
        start.addingTimeInterval(TimeInterval(minutes * 60))
    }

    static let promotion = GovernanceEvent.PromotionRef(
        promotionID: "prm_01JZ8Q6S3W4KX7V2M9N5T0RBCD",
        modelName: "fraud-detector",
        version: 7,
        alias: "champion"
    )

    static let metrics: [String: Double] = ["auc": 0.9412, "precision_at_1pct_fpr": 0.731, "log_loss": 0.1187]

    static let card = RegistryEvent.ModelCard(
        overview: "Gradient-boosted classifier scoring card-not-present transactions for fraud.",
        intendedUse: "Ranking transactions for manual review in the payments risk queue.",
        outOfScopeUse: "Automatic account closure; credit decisions.",
        trainingData: [RegistryEvent.DatasetVersionRef(name: "transactions-labelled", version: "2026-06-30")],
        evaluation: [
            RegistryEvent.ModelCardEvaluation(
                metric: "auc",
                value: 0.9412,
                dataset: RegistryEvent.DatasetVersionRef(name: "transactions-holdout", version: "2026-07-15")
            ),
            RegistryEvent.ModelCardEvaluation(metric: "precision_at_1pct_fpr", value: 0.731),
        ],
        limitations: "Under-represents merchants onboarded in the last 30 days.",
        ethicalConsiderations: "Region is excluded as a feature to avoid geographic bias.",
        owners: ["team-payments-risk", "alice@example.com"]
    )

    static let registry: [any EventPayload] = [
        RegistryEvent.ModelCreated(
            modelName: "fraud-detector",
            description: "Scores card-not-present transactions.",
            owner: "team-payments-risk",
            tags: ["domain": "payments", "pii": "false"],
            createdBy: "alice@example.com",
            createdAt: time(0)
        ),
        RegistryEvent.ModelUpdated(
            modelName: "fraud-detector",
            description: "Scores card-not-present transactions in real time.",
            owner: "team-payments-risk",
            tags: ["domain": "payments", "pii": "false", "tier": "critical"],
            updatedBy: "alice@example.com",
            updatedAt: time(5)
        ),
        RegistryEvent.ModelRenamed(
            previousName: "fraud-model",
            modelName: "fraud-detector",
            renamedBy: "alice@example.com",
            renamedAt: time(6)
        ),
        RegistryEvent.ModelDeleted(modelName: "fraud-detector-sandbox", deletedBy: "bob@example.com", deletedAt: time(7)),
        RegistryEvent.ModelVersionCreated(
            modelName: "fraud-detector",
            version: 7,
            source: "s3://ml-artifacts/fraud-detector/runs/4f2c9e/model",
            runID: "4f2c9e0b7d1a4c55b0e3a9d2f6c81e47",
            description: "Retrained on Q2 transactions.",
            status: .pendingRegistration,
            signature: RegistryEvent.ModelSignature(
                inputs: #"[{"type": "double", "name": "amount", "required": true}, {"type": "string", "name": "merchant_category", "required": true}]"#,
                outputs: #"[{"type": "double", "name": "fraud_probability", "required": true}]"#,
                params: #"[{"name": "threshold", "type": "double", "default": 0.5, "shape": null}]"#
            ),
            metrics: metrics,
            params: ["max_depth": "8", "learning_rate": "0.05", "n_estimators": "600"],
            tags: ["framework": "xgboost", "git_sha": "9c1d2e7"],
            datasetVersions: [RegistryEvent.DatasetVersionRef(name: "transactions-labelled", version: "2026-06-30")],
            featureViews: ["customer_spend_7d", "merchant_risk"],
            openLineageRunID: "01912f3a-7c2e-7b4d-9a61-3f0e8d2c5b17",
            parentVersion: 6,
            createdBy: "svc-training-pipeline",
            createdAt: time(10)
        ),
        RegistryEvent.ModelVersionUpdated(
            modelName: "fraud-detector",
            version: 7,
            description: "Retrained on Q2 transactions; calibrated.",
            stage: .staging,
            metrics: metrics.merging(["brier": 0.0412]) { $1 },
            signature: RegistryEvent.ModelSignature(
                inputs: #"[{"type": "double", "name": "amount", "required": true}]"#,
                outputs: #"[{"type": "double", "name": "fraud_probability", "required": true}]"#,
                params: #"[{"name": "threshold", "type": "double", "default": 0.5, "shape": null}]"#
            ),
            updatedBy: "alice@example.com",
            updatedAt: time(15)
        ),
        RegistryEvent.ModelVersionStatusChanged(
            modelName: "fraud-detector",
            version: 7,
            previousStatus: .pendingRegistration,
            status: .ready,
            statusMessage: "Artifacts verified.",
            changedBy: "svc-training-pipeline",
            changedAt: time(12)
        ),
        RegistryEvent.ModelVersionDeleted(modelName: "fraud-detector", version: 2, deletedBy: "bob@example.com", deletedAt: time(16)),
        RegistryEvent.TagSet(
            modelName: "fraud-detector",
            version: 7,
            key: "validation_status",
            value: "passed",
            setBy: "svc-validation",
            setAt: time(20)
        ),
        RegistryEvent.TagDeleted(
            modelName: "fraud-detector",
            version: 7,
            key: "experimental",
            deletedBy: "alice@example.com",
            deletedAt: time(21)
        ),
        RegistryEvent.AliasMoved(
            modelName: "fraud-detector",
            alias: "champion",
            previousVersion: 6,
            version: 7,
            reason: "Higher AUC on the July holdout.",
            promotionID: promotion.promotionID,
            movedBy: "alice@example.com",
            approvedBy: ["bea@example.com", "carl@example.com"],
            movedAt: time(90)
        ),
        RegistryEvent.AliasDeleted(
            modelName: "fraud-detector",
            alias: "shadow",
            previousVersion: 5,
            reason: "Shadow traffic ended.",
            deletedBy: "alice@example.com",
            deletedAt: time(91)
        ),
        RegistryEvent.ModelCardUpdated(
            modelName: "fraud-detector",
            version: 7,
            card: card,
            completeness: 1,
            missingSections: [],
            updatedBy: "alice@example.com",
            updatedAt: time(25)
        ),
        RegistryEvent.PromotionRequested(
            promotionID: promotion.promotionID,
            modelName: "fraud-detector",
            version: 7,
            alias: "champion",
            currentVersion: 6,
            reason: "Higher AUC on the July holdout.",
            metrics: metrics,
            cardCompleteness: 0.875,
            missingCardSections: [.ethicalConsiderations],
            signaturePresent: true,
            requestedBy: "alice@example.com",
            requestedAt: time(30)
        ),
        RegistryEvent.PromotionCompleted(
            promotionID: promotion.promotionID,
            modelName: "fraud-detector",
            version: 7,
            alias: "champion",
            previousVersion: 6,
            approvalID: "apr_01JZ8Q7A1B2C3D4E5F6G7H8J9K",
            completedAt: time(90)
        ),
        RegistryEvent.PromotionRejected(
            promotionID: "prm_01JZ9A0000000000000000000",
            modelName: "fraud-detector",
            version: 8,
            alias: "production",
            cause: .rejected,
            approvalID: "apr_01JZ9A1111111111111111111",
            reason: "Precision regressed on the EU segment.",
            rejectedAt: time(200)
        ),
        RegistryEvent.PromotionCancelled(
            promotionID: "prm_01JZ9B0000000000000000000",
            modelName: "fraud-detector",
            version: 9,
            alias: "champion",
            approvalID: "apr_01JZ9B1111111111111111111",
            reason: "Cancelled by user:ana: superseded by version 10.",
            cancelledAt: time(210)
        ),
    ]

    static let governance: [any EventPayload] = [
        GovernanceEvent.TenantCreated(tenantID: "acme", displayName: "ACME Payments", createdBy: "system", createdAt: time(-600)),
        GovernanceEvent.TenantDisabled(tenantID: "acme-trial", reason: "Trial ended.", disabledBy: "root-admin", disabledAt: time(-10)),
        GovernanceEvent.PrincipalCreated(
            principalID: "alice@example.com",
            kind: .user,
            displayName: "Alice Martin",
            createdBy: "root-admin",
            createdAt: time(-500)
        ),
        GovernanceEvent.PrincipalDisabled(
            principalID: "svc-legacy-scorer",
            reason: "Service decommissioned.",
            disabledBy: "root-admin",
            disabledAt: time(-20)
        ),
        GovernanceEvent.RoleBindingCreated(
            bindingID: "rb_01JZ7X3K2M",
            principalID: "carol@example.com",
            role: .approver,
            createdBy: "root-admin",
            createdAt: time(-400)
        ),
        GovernanceEvent.RoleBindingRevoked(
            bindingID: "rb_01JZ7X9P4Q",
            principalID: "dave@example.com",
            role: .admin,
            revokedBy: "root-admin",
            revokedAt: time(-30)
        ),
        GovernanceEvent.APIKeyCreated(
            keyID: "key_01JZ7Y2T8V",
            prefix: "mk_7Hq2Xz",
            principalID: "svc-training-pipeline",
            name: "training pipeline (prod)",
            expiresAt: time(60 * 24 * 90),
            createdBy: "root-admin",
            createdAt: time(-300)
        ),
        GovernanceEvent.APIKeyRevoked(
            keyID: "key_01JZ7Y0A1B",
            prefix: "mk_b3Lp9Q",
            principalID: "svc-legacy-scorer",
            reason: "Leaked in a CI log.",
            revokedBy: "root-admin",
            revokedAt: time(-25)
        ),
        GovernanceEvent.PolicySet(
            policyID: "pol_fraud_detector",
            scope: .model,
            modelName: "fraud-detector",
            revision: 3,
            policy: GovernanceEvent.ApprovalPolicy(
                requiredApprovals: 2,
                distinctApprovers: true,
                approverRole: .approver,
                separationOfDuties: true,
                expiresAfterSeconds: 7 * 24 * 3600,
                minCardCompleteness: 0.8,
                metricThresholds: [GovernanceEvent.MetricThreshold(metric: "auc", comparison: .greaterThanOrEqual, value: 0.9)],
                requireSignature: true,
                requireNoOpenDriftAlert: true,
                requireWithinBudget: true
            ),
            setBy: "root-admin",
            setAt: time(-200)
        ),
        GovernanceEvent.ApprovalRequested(
            approvalID: "apr_01JZ8Q7A1B2C3D4E5F6G7H8J9K",
            subject: "models/fraud-detector/aliases/champion",
            promotion: promotion,
            policyID: "pol_fraud_detector",
            policyRevision: 3,
            requiredApprovals: 2,
            reason: "Higher AUC on the July holdout.",
            requestedBy: "alice@example.com",
            requestedAt: time(31),
            expiresAt: time(31 + 7 * 24 * 60)
        ),
        GovernanceEvent.ApprovalCheckEvaluated(
            approvalID: "apr_01JZ8Q7A1B2C3D4E5F6G7H8J9K",
            subject: "models/fraud-detector/aliases/champion",
            check: "metric:auc>=0.9",
            kind: .metricThreshold,
            passed: true,
            reason: "auc 0.9412 >= 0.9",
            evidence: [
                "metric": "auc",
                "observed": 0.9412,
                "threshold": 0.9,
                "source_event": "01912f3b-0d4e-7a21-8c3f-5b6a7d8e9f01",
            ],
            evaluatedAt: time(31)
        ),
        GovernanceEvent.ApprovalDecisionRecorded(
            approvalID: "apr_01JZ8Q7A1B2C3D4E5F6G7H8J9K",
            subject: "models/fraud-detector/aliases/champion",
            decision: .approve,
            comment: "Reviewed the holdout report.",
            approvals: 1,
            requiredApprovals: 2,
            decidedBy: "carol@example.com",
            decidedAt: time(60)
        ),
        GovernanceEvent.ApprovalGranted(
            approvalID: "apr_01JZ8Q7A1B2C3D4E5F6G7H8J9K",
            subject: "models/fraud-detector/aliases/champion",
            promotion: promotion,
            approvers: ["carol@example.com", "erin@example.com"],
            grantedAt: time(89)
        ),
        GovernanceEvent.ApprovalRejected(
            approvalID: "apr_01JZ9A1111111111111111111",
            subject: "models/fraud-detector/aliases/production",
            promotion: GovernanceEvent.PromotionRef(
                promotionID: "prm_01JZ9A0000000000000000000",
                modelName: "fraud-detector",
                version: 8,
                alias: "production"
            ),
            comment: "Precision regressed on the EU segment.",
            rejectedBy: "carol@example.com",
            rejectedAt: time(199)
        ),
        GovernanceEvent.ApprovalExpired(
            approvalID: "apr_01JZ9B2222222222222222222",
            subject: "models/churn-predictor/aliases/champion",
            promotion: GovernanceEvent.PromotionRef(
                promotionID: "prm_01JZ9B0000000000000000000",
                modelName: "churn-predictor",
                version: 12,
                alias: "champion"
            ),
            approvals: 1,
            requiredApprovals: 2,
            expiredAt: time(7 * 24 * 60)
        ),
        GovernanceEvent.ApprovalCancelled(
            approvalID: "apr_01JZ9C3333333333333333333",
            subject: "models/churn-predictor/aliases/production",
            promotion: GovernanceEvent.PromotionRef(
                promotionID: "prm_01JZ9C0000000000000000000",
                modelName: "churn-predictor",
                version: 13,
                alias: "production"
            ),
            reason: "Superseded by version 14.",
            cancelledBy: "alice@example.com",
            cancelledAt: time(300)
        ),
    ]

    static let audit: [any EventPayload] = [
        AuditEvent.CheckpointSigned(
            logID: "acme",
            treeSize: 1_048_576,
            rootHash: "5f8a2b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809aa1",
            signature: "jFfj7GILXFbfBUlC0sIpkopmrOQmB5N46ohshP+8AbSx5gymOygG3pKuESbGpz518Gs/Ls3f1sn0bqbCHlwCQg==",
            keyID: "audit-ed25519-2026-01",
            signedAt: time(120)
        ),
        AuditEvent.TamperDetected(
            logID: "acme",
            treeSize: 1_048_576,
            firstBadIndex: 73_311,
            expectedRootHash: "5f8a2b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809aa1",
            computedRootHash: "0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eafb",
            reason: "Entry 73311 does not hash to the leaf of the inclusion proof under the signed root.",
            detectedAt: time(240)
        ),
    ]

    static let ingest: [any EventPayload] = [
        IngestEvent.PredictionLogged(
            modelName: "fraud-detector",
            modelVersion: 7,
            requestID: "req-8d41c7a2",
            features: [
                "amount": 129.99,
                "merchant_category": "electronics",
                "card_present": false,
                "customer_age_days": 412,
                "promo_code": .null,
            ],
            prediction: 0.0831,
            label: false,
            predictedAt: time(100)
        ),
        IngestEvent.FeatureRowsPushed(
            featureView: "customer_spend_7d",
            entityKey: ["customer_id": "1042"],
            values: [
                "spend_7d": 1834.5,
                "txn_count_7d": 23,
                "top_category": "groceries",
                "is_new_customer": false,
                "chargeback_rate": .null,
            ],
            eventTime: time(95)
        ),
        IngestEvent.UsageRecorded(
            resourceID: "gpu-node-07/gpu-2",
            resourceType: "gpu",
            project: "fraud-detection",
            quantity: 1.5,
            unit: "gpu_hour",
            startedAt: time(0),
            endedAt: time(90),
            tags: ["model_name": "fraud-detector", "run_id": "4f2c9e0b7d1a4c55b0e3a9d2f6c81e47"]
        ),
    ]

    /// Payloads with every optional field left out.
    static let minimal: [any EventPayload] = [
        RegistryEvent.ModelCreated(modelName: "churn-predictor", tags: [:], createdBy: "bob@example.com", createdAt: time(1)),
        RegistryEvent.ModelVersionCreated(
            modelName: "churn-predictor",
            version: 1,
            source: "models:/churn-predictor/1",
            status: .ready,
            metrics: [:],
            params: [:],
            tags: [:],
            datasetVersions: [],
            featureViews: [],
            createdBy: "bob@example.com",
            createdAt: time(2)
        ),
        RegistryEvent.TagSet(modelName: "churn-predictor", key: "team", value: "growth", setBy: "bob@example.com", setAt: time(3)),
        RegistryEvent.AliasMoved(modelName: "churn-predictor", alias: "challenger", version: 1, movedBy: "bob@example.com", movedAt: time(4)),
        RegistryEvent.ModelCardUpdated(
            modelName: "churn-predictor",
            version: 1,
            card: RegistryEvent.ModelCard(trainingData: [], evaluation: [], owners: []),
            completeness: 0,
            missingSections: RegistryEvent.ModelCardSection.allCases,
            updatedBy: "bob@example.com",
            updatedAt: time(5)
        ),
        RegistryEvent.PromotionRejected(
            promotionID: "prm_01JZ9D0000000000000000000",
            modelName: "churn-predictor",
            version: 1,
            alias: "champion",
            cause: .expired,
            rejectedAt: time(6)
        ),
        GovernanceEvent.PolicySet(
            policyID: "pol_default",
            scope: .tenant,
            revision: 1,
            policy: GovernanceEvent.ApprovalPolicy(
                requiredApprovals: 1,
                distinctApprovers: false,
                approverRole: .approver,
                separationOfDuties: true,
                expiresAfterSeconds: 3 * 24 * 3600,
                metricThresholds: [],
                requireSignature: false,
                requireNoOpenDriftAlert: false,
                requireWithinBudget: false
            ),
            setBy: "system",
            setAt: time(-700)
        ),
        GovernanceEvent.ApprovalGranted(
            approvalID: "apr_01JZ9E4444444444444444444",
            subject: "datasets/transactions-labelled/publish",
            approvers: ["carol@example.com"],
            grantedAt: time(7)
        ),
        AuditEvent.TamperDetected(logID: "system", treeSize: 0, reason: "No signed checkpoint matches the stored log.", detectedAt: time(8)),
        IngestEvent.PredictionLogged(
            modelName: "churn-predictor",
            modelVersion: 1,
            requestID: "req-0001",
            features: [:],
            prediction: "stay",
            predictedAt: time(9)
        ),
        IngestEvent.UsageRecorded(
            resourceID: "pg-offline-store",
            resourceType: "storage",
            project: "feature-platform",
            quantity: 0,
            unit: "gib_month",
            startedAt: time(0),
            endedAt: time(60)
        ),
    ]
}
