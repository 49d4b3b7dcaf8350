-- (a) one campaign by a random id with its master row: one join.
\set n random(1, :ncamp)
SELECT c.id, c.metadata, m.id AS master_id, m.version, m.metadata AS master_metadata
  FROM service_campaign_main c
  JOIN _metadata_master m ON m.id = c.metadata_master_id
 WHERE c.id = (SELECT id FROM bench_ids WHERE n = :n);
