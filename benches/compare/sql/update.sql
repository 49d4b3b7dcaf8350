-- (d) the raw UPDATE: a merge of one top-level key into a random campaign's
-- metadata. With the triggers on they copy the document to the master row,
-- bump its version and record the event (+ its deliveries), as for an API write.
\set n random(1, :ncamp)
\set v random(1, 1000000000)
UPDATE service_campaign_main
   SET metadata = metadata || jsonb_build_object('counter', (:v)::bigint)
 WHERE id = (SELECT id FROM bench_ids WHERE n = :n);
