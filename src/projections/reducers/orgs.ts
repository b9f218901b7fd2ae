import type { RecordedEvent } from "../../events/envelope.js";
import type { OrgAdded, OrgDomain } from "../../events/org.js";
import { refuse, type ProjectionView, type ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, type OrgView } from "../views.js";

const orgId = (event: RecordedEvent) => event.stream.slice("org-".length);

const put = (org: OrgView): Write => ({ op: "put", collection: collections.orgs, id: org.id, doc: org, indexes: { name: org.name.toLowerCase(), primaryDomain: org.primaryDomain } });

/** Every event of an org's stream moves its `details`. */
const onOrg =
  (change: (org: OrgView, event: RecordedEvent) => OrgView) =>
  async (event: RecordedEvent, view: ProjectionView): Promise<Write[]> => {
    const current = await view.get<OrgView>(collections.orgs, orgId(event));
    if (!current) return refuse(event, "no such org");
    const changed = change(current, event);
    return [put({ ...changed, details: { ...changed.details, sequence: event.revision + 1, changeDate: event.metadata.createdAt } })];
  };

export const orgReducers: ReducerTable = {
  "org.added": async (event, view) => {
    if (await view.get<OrgView>(collections.orgs, orgId(event))) return refuse(event, "the org exists already");
    const details = {
      sequence: event.revision + 1,
      creationDate: event.metadata.createdAt,
      changeDate: event.metadata.createdAt,
      resourceOwner: event.metadata.resourceOwner,
    };
    return [put({ id: orgId(event), name: (event.data as OrgAdded).name, primaryDomain: "", details })];
  },
  "org.domain.added": onOrg((org) => org),
  "org.domain.verified": onOrg((org) => org),
  "org.domain.primary.set": onOrg((org, event) => ({ ...org, primaryDomain: (event.data as OrgDomain).domain })),
};
