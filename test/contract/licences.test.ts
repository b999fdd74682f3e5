/**
 * Contract test, licences: Learn "List subscribedSkus" (subscribedsku-list, microsoft-graph-docs-contrib
 * api-reference/v1.0/api/subscribedsku-list.md). 200, context `$metadata#subscribedSkus`; each SKU:
 * accountName, accountId, appliesTo ("User"), capabilityStatus ("Enabled", "Suspended", …),
 * consumedUnits (number), id ("{tenant}_{skuId}"), prepaidUnits {enabled, lockedOut, suspended,
 * warning} (numbers), servicePlans [{servicePlanId, servicePlanName, provisioningStatus
 * ("Success", "Disabled", …), appliesTo ("Company" | "User")}], skuId, skuPartNumber,
 * subscriptionIds (array). Only $select is supported, not $filter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { analyseLicence } from '../../src/steps/prerequisites-analysis.js';
import { appToken, arrayOf, call, checkCollection, closeSims, oneOf, shape, sim, type Facts } from './facts.js';

afterEach(closeSims);

const SKU_FACTS: Facts = {
  accountName: 'string',
  accountId: 'string',
  appliesTo: oneOf('User', 'Company'),
  capabilityStatus: oneOf('Enabled', 'Warning', 'Suspended', 'Deleted', 'LockedOut'),
  consumedUnits: 'number',
  id: 'string',
  prepaidUnits: shape({ enabled: 'number', lockedOut: 'number', suspended: 'number', warning: 'number' }),
  servicePlans: arrayOf(
    shape({
      servicePlanId: 'string',
      servicePlanName: 'string',
      provisioningStatus: oneOf('Success', 'Disabled', 'PendingInput', 'PendingActivation', 'PendingProvisioning'),
      appliesTo: oneOf('User', 'Company'),
    }),
  ),
  skuId: 'string',
  skuPartNumber: 'string',
  subscriptionIds: 'array',
};

describe('GET /subscribedSkus (subscribedsku-list)', () => {
  it('answers with the documented shape, with LicenseAssignment.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'LicenseAssignment.Read.All');
    const res = await call(s, token, 'GET', '/subscribedSkus');
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, 'subscribedSkus', SKU_FACTS)).toEqual([]);
    for (const sku of res.body!.value) expect(sku.id).toBe(`${s.tenantId}_${sku.skuId}`);
  });

  it('refuses $filter (the page supports only $select)', async () => {
    const s = await sim();
    const token = await appToken(s, 'LicenseAssignment.Read.All');
    const res = await call(s, token, 'GET', `/subscribedSkus?$filter=${encodeURIComponent("skuPartNumber eq 'EMSPREMIUM'")}`);
    expect(res.status).toBe(400);
  });

  it('the tool reads documented SKUs: a Suspended SKU does not count, an Enabled one carrying P2 does', () => {
    const p2 = {
      servicePlanId: 'eec0eb4f-6444-4f95-aba0-50c24d67f998',
      servicePlanName: 'AAD_PREMIUM_P2',
      provisioningStatus: 'Success',
      appliesTo: 'User',
    };
    const base = {
      accountName: 'Sample account',
      accountId: 'f97aeefc-0000-414d-8ae4-b457f90efc40',
      appliesTo: 'User',
      consumedUnits: 14,
      id: '48a80680-0000-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df',
      skuId: 'c7df2760-2c81-4ef7-b578-5b5392b571df',
      skuPartNumber: 'ENTERPRISEPREMIUM',
      subscriptionIds: ['43d26afe-0000-48b9-acc4-ae3ef2ac6c51'],
    };
    const suspended = {
      ...base,
      capabilityStatus: 'Suspended',
      prepaidUnits: { enabled: 0, lockedOut: 0, suspended: 25, warning: 0 },
      servicePlans: [p2],
    };
    expect(analyseLicence([suspended] as never).code).toBe('LICENCE_MISSING');
    const enabled = {
      ...base,
      capabilityStatus: 'Enabled',
      prepaidUnits: { enabled: 25, lockedOut: 0, suspended: 0, warning: 0 },
      servicePlans: [p2],
    };
    expect(analyseLicence([enabled] as never).code).toBe('LICENCE_OK');
    const disabledPlan = { ...enabled, servicePlans: [{ ...p2, provisioningStatus: 'Disabled' }] };
    expect(analyseLicence([disabledPlan] as never).code).toBe('LICENCE_MISSING');
  });
});
