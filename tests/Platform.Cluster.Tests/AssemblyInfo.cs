// One cluster for every test (deploy/cluster.sh uses fixed namespaces, a bridge and addresses): nothing in parallel.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
