/**
 * The product catalog (crm.product.*, crm.productsection.*). A deal's own product rows are
 * deals.ts.
 */
import type { Bitrix24Client } from '../client';
import { amount, flag, id, int, optNumber, parseWith, refId, row, str, text } from '../parse';
import { listParams, orNull, parseList, type CrmFilter, type CrmOrder } from './common';

export interface Product {
  id: number;
  name: string;
  sectionId: number | null;
  price: number;
  currencyId: string | null;
  active: boolean;
  sort: number;
  measure: number | null;
}

export interface ProductSection {
  id: number;
  name: string;
  parentId: number | null;
  catalogId: number | null;
}

const productSchema = row({ ID: id, NAME: str, SECTION_ID: refId, PRICE: amount, CURRENCY_ID: text, ACTIVE: flag, SORT: int(0), MEASURE: optNumber }).transform((r): Product => ({
  id: r.ID, name: r.NAME, sectionId: r.SECTION_ID, price: r.PRICE, currencyId: r.CURRENCY_ID, active: r.ACTIVE,
  sort: r.SORT, measure: r.MEASURE,
}));

const productSectionSchema = row({ ID: id, NAME: str, SECTION_ID: refId, CATALOG_ID: refId }).transform((r): ProductSection => ({ id: r.ID, name: r.NAME, parentId: r.SECTION_ID, catalogId: r.CATALOG_ID }));

export interface ProductsApi {
  /** crm.product.list — 1 request per 50 products. */
  listProducts(filter?: CrmFilter, select?: string[], order?: CrmOrder): Promise<Product[]>;
  /** crm.product.get — 1 request; null when not found. */
  getProduct(productId: number): Promise<Product | null>;
  /** crm.productsection.list — 1 request per 50 sections. */
  listProductSections(filter?: CrmFilter): Promise<ProductSection[]>;
}

export function createProductsApi(client: Bitrix24Client): ProductsApi {
  return {
    listProducts: async (filter = {}, select = ['*'], order) =>
      parseList(productSchema, await client.listAll('crm.product.list', listParams(filter, select, order)), 'crm.product.list'),

    getProduct: (productId) =>
      orNull(client.call<unknown>('crm.product.get', { id: productId }).then((r) => parseWith(productSchema, r, 'crm.product.get'))),

    listProductSections: async (filter = {}) =>
      parseList(productSectionSchema, await client.listAll('crm.productsection.list', { filter }), 'crm.productsection.list'),
  };
}
