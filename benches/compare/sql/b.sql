-- (b) the first 100 campaigns in id order (the order of `campaigns` and of
-- PostGraphile's PRIMARY_KEY_ASC) with their master's id and version.
SELECT c.id, c.metadata, m.id AS master_id, m.version
  FROM service_campaign_main c
  JOIN _metadata_master m ON m.id = c.metadata_master_id
 ORDER BY c.id
 LIMIT 100;
