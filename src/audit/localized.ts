/**
 * ZITADEL's zitadel.v1.LocalizedMessage for event and aggregate types: the i18n key it uses
 * (`EventTypes.user.machine.added`, `AggregateType.user`) and the English text.
 */
const eventTexts: Readonly<Record<string, string>> = {
  "instance.added": "Instance added",
  "instance.member.added": "Instance member added",
  "org.added": "Organization created",
  "org.domain.added": "Domain added",
  "org.domain.verified": "Domain verified",
  "org.domain.primary.set": "Primary domain set",
  "org.member.added": "Organization member added",
  "org.member.cascade.removed": "Organization member cascade removed",
  "instance.member.cascade.removed": "Instance member cascade removed",
  "user.machine.added": "Technical user added",
  "user.machine.changed": "Technical user changed",
  "user.machine.secret.set": "Client secret set",
  "user.machine.secret.removed": "Secret removed",
  "user.human.added": "Person added",
  "user.human.email.verified": "Email address verified",
  "user.human.phone.verified": "Phone number verified",
  "user.human.initialization.code.added": "Initialization code generated",
  "user.pat.added": "Personal access token added",
  "user.pat.removed": "Personal Access Token removed",
  "user.deactivated": "User deactivated",
  "user.reactivated": "User reactivated",
  "user.locked": "User locked",
  "user.unlocked": "User unlocked",
  "user.removed": "User removed",
  "user.personal.data.erased": "Personal data erased",
  "user.username.changed": "Username changed",
  "user.machine.key.added": "Key added",
  "user.machine.key.removed": "Key removed",
  "oidc_session.added": "OIDC session added",
  "oidc_session.access_token.added": "Access token added",
  "oidc_session.access_token.revoked": "Access token revoked",
  "key_pair.added": "Key pair added",
  "user.metadata.set": "User metadata set",
  "user.metadata.removed": "User metadata removed",
  "user.human.profile.changed": "User profile changed",
  "user.human.email.changed": "Email address changed",
  "user.human.email.code.added": "Email address verification code generated",
  "user.human.phone.changed": "Phone number changed",
  "user.human.phone.removed": "Phone number removed",
  "user.human.phone.code.added": "Phone number code generated",
  "user.human.password.changed": "Password changed",
  "webhook.target.added": "Webhook target added",
  "webhook.target.removed": "Webhook target removed",
};

const aggregateTexts: Readonly<Record<string, string>> = {
  instance: "Instance",
  org: "Organization",
  user: "User",
  webhook: "Webhook",
  oidc_session: "OIDC Session",
  key_pair: "Key Pair",
};

export const localizedEventType = (type: string) => ({ key: `EventTypes.${type}`, localizedMessage: eventTexts[type] ?? type });

export const localizedAggregateType = (type: string) => ({ key: `AggregateTypes.${type}`, localizedMessage: aggregateTexts[type] ?? type });
