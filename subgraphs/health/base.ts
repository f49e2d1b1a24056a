import { createPartnerBases } from "../kit/partner.types.ts";

/** This partner's Organization interface and Service base (the shared contract). */
export const { Organization, ServiceBase } = createPartnerBases();
